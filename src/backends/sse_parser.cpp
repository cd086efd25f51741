#include "backends/sse_parser.hpp"

namespace sl {

Status SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  size_t pos = 0;
  if (skip_lf_ && !bytes.empty()) {
    if (bytes.front() == '\n') pos = 1;
    skip_lf_ = false;
  }
  while (pos < bytes.size()) {
    const size_t eol = bytes.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) {
      line_.append(bytes.substr(pos));
      break;
    }
    if (line_.empty()) {
      take_line(bytes.substr(pos, eol - pos), out);
    } else {
      line_.append(bytes.substr(pos, eol - pos));
      take_line(line_, out);
      line_.clear();
    }
    pos = eol + 1;
    if (bytes[eol] == '\r') {
      if (pos < bytes.size()) {
        if (bytes[pos] == '\n') ++pos;
      } else {
        skip_lf_ = true;
      }
    }
  }
  if (line_.size() + data_.size() > max_event_bytes_) {
    return make_error(ErrorCode::upstream_error, "upstream stream event too large");
  }
  return Status();
}

void SseParser::finish(std::vector<SseEvent>& out) {
  if (!line_.empty()) {
    take_line(line_, out);
    line_.clear();
  }
  dispatch(out);
}

void SseParser::take_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    dispatch(out);
    return;
  }
  if (line.front() == ':') return;  // comment (keep-alive)
  std::string_view field = line;
  std::string_view value;
  if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (have_data_) data_ += '\n';
    data_.append(value);
    have_data_ = true;
  } else if (field == "event") {
    event_.assign(value);
  }
  // "id" and "retry" matter only to reconnecting browsers.
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
  if (have_data_) out.push_back(SseEvent{std::move(event_), std::move(data_)});
  event_.clear();
  data_.clear();
  have_data_ = false;
}

}  // namespace sl
