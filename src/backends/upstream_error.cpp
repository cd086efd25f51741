#include "backends/upstream_error.hpp"

#include "core/json_read.hpp"
#include "core/json_text.hpp"

#include <charconv>
#include <string>

#include <boost/json.hpp>

namespace sl {
namespace json = boost::json;
namespace {

constexpr std::string_view kPrefix = "upstream HTTP ";
constexpr size_t kMaxExcerpt = 512;

std::optional<std::string> as_text(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_null()) return std::nullopt;
  return json_text(*v);  // e.g. FastAPI's list of validation errors
}

std::string excerpt(std::string_view body) {
  std::string s(body.substr(0, kMaxExcerpt));
  for (char& c : s) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (body.size() > kMaxExcerpt) s += "...";
  return s;
}

}  // namespace

std::optional<std::string> upstream_error_message(std::string_view body) {
  auto parsed = read_json_object(body);
  if (!parsed.ok()) return std::nullopt;
  const json::object& o = *parsed;
  if (const json::value* e = o.if_contains("error")) {
    if (e->is_object()) {
      if (auto m = as_text(e->get_object().if_contains("message"))) return m;
      return json_text(*e);
    }
    if (auto m = as_text(e)) return m;
  }
  if (auto m = as_text(o.if_contains("message"))) return m;
  if (auto m = as_text(o.if_contains("detail"))) return m;
  return std::nullopt;
}

Error upstream_http_error(unsigned status, std::string_view body) {
  std::string message = std::string(kPrefix) + std::to_string(status) + ": ";
  if (auto m = upstream_error_message(body)) {
    message += *m;
  } else if (!body.empty()) {
    message += excerpt(body);
  } else {
    message += "(empty body)";
  }
  return make_error(ErrorCode::upstream_error, std::move(message));
}

std::optional<unsigned> upstream_http_status(const Error& error) {
  if (error.code != ErrorCode::upstream_error) return std::nullopt;
  std::string_view m = error.message;
  if (m.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  m.remove_prefix(kPrefix.size());
  unsigned status = 0;
  auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), status);
  if (ec != std::errc() || end == m.data() || end == m.data() + m.size() || *end != ':') {
    return std::nullopt;
  }
  return status;
}

}  // namespace sl
