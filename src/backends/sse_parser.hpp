// Incremental parser for Server-Sent Events (the WHATWG event-stream format) as OpenAI-style
// servers stream chat chunks. Bytes may arrive split anywhere, even inside a "\r\n"; lines end
// with "\n", "\r\n" or "\r"; ":" lines are comments; several data lines of one event are joined
// with "\n"; a blank line ends an event. Holds only the bytes of the event being read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace sl {

struct SseEvent {
  std::string event;  // the "event:" field; empty means the default ("message")
  std::string data;
};

class SseParser {
 public:
  explicit SseParser(size_t max_event_bytes = 16 * 1024 * 1024) : max_event_bytes_(max_event_bytes) {}

  // Appends every event completed by `bytes` to `out`. upstream_error when one event grows past
  // the size limit (the parser is then unusable).
  Status feed(std::string_view bytes, std::vector<SseEvent>& out);
  // End of stream: an event still missing its blank line is dispatched as well, because some
  // servers close right after the last data line.
  void finish(std::vector<SseEvent>& out);

 private:
  void take_line(std::string_view line, std::vector<SseEvent>& out);
  void dispatch(std::vector<SseEvent>& out);

  size_t max_event_bytes_;
  std::string line_;          // the current line, before its terminator arrived
  bool skip_lf_ = false;      // the previous chunk ended with '\r'
  bool have_data_ = false;    // a data field was seen in the current event
  std::string data_;
  std::string event_;
};

}  // namespace sl
