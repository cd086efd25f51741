#include "core/json_read.hpp"

#include <cmath>
#include <string>

#include <boost/json/stream_parser.hpp>

namespace sl {
namespace {

bool has_non_finite(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_: return !std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& e : v.get_array())
        if (has_non_finite(e)) return true;
      return false;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object())
        if (has_non_finite(kv.value())) return true;
      return false;
    default: return false;
  }
}

}  // namespace

Result<boost::json::value> read_json(std::string_view text, const JsonReadOptions& options) {
  boost::json::parse_options po;
  po.max_depth = options.max_depth;
  boost::json::stream_parser parser({}, po);
  boost::system::error_code ec;
  const size_t used = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    return make_error(ErrorCode::invalid_request,
                      "invalid JSON: " + ec.message() + " (at byte " + std::to_string(used) + ")");
  }
  boost::json::value v = parser.release();
  // The depth bound also bounds this recursion.
  if (has_non_finite(v))
    return make_error(ErrorCode::invalid_request, "invalid JSON: a number is out of range (e.g. 1e999)");
  return v;
}

Result<boost::json::object> read_json_object(std::string_view text,
                                             const JsonReadOptions& options) {
  auto v = read_json(text, options);
  if (!v.ok()) return v.error();
  if (!v->is_object())
    return make_error(ErrorCode::invalid_request, "invalid JSON: expected a JSON object");
  return std::move(v->as_object());
}

Error json_type_error(const std::string& param, std::string_view expected) {
  return make_error(ErrorCode::invalid_request,
                    "Invalid type for '" + param + "': expected " + std::string(expected) + ".", param);
}

}  // namespace sl
