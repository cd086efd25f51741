#include "api/error_response.hpp"

#include "core/json_read.hpp"

#include <cmath>
#include "core/json_text.hpp"

#include <boost/json/serialize.hpp>

namespace sl::api {
namespace {

// The parser's depth limit (32 by default) bounds this recursion.
constexpr size_t kMaxErrorMessageBytes = 1024;
constexpr size_t kMaxErrorParamBytes = 256;
}  // namespace

ErrorHttp error_http(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_request: return {400, "invalid_request_error"};
    case ErrorCode::invalid_reference: return {422, "invalid_request_error"};
    case ErrorCode::unauthorized: return {401, "authentication_error"};
    case ErrorCode::not_found:
    case ErrorCode::stream_not_found:
    case ErrorCode::frame_not_found:
    case ErrorCode::model_not_found: return {404, "not_found_error"};
    case ErrorCode::stream_not_ready: return {409, "invalid_request_error"};
    case ErrorCode::frame_not_available:  // SPEC section 3, as in Overshoot's API
    case ErrorCode::segment_empty: return {422, "invalid_request_error"};
    case ErrorCode::too_many_streams:
    case ErrorCode::rate_limited:
    case ErrorCode::quota_exceeded: return {429, "rate_limit_error"};
    case ErrorCode::permission_denied: return {403, "permission_error"};
    case ErrorCode::payload_too_large: return {413, "invalid_request_error"};
    case ErrorCode::unsupported: return {400, "invalid_request_error"};
    case ErrorCode::unsupported_media:
    case ErrorCode::invalid_value: return {422, "invalid_request_error"};
    case ErrorCode::conflict: return {409, "invalid_request_error"};
    case ErrorCode::source_error:
    case ErrorCode::upstream_error: return {502, "server_error"};
    case ErrorCode::upstream_unavailable: return {503, "server_error"};
    case ErrorCode::upstream_timeout: return {504, "server_error"};
    case ErrorCode::cancelled: return {499, "server_error"};
    case ErrorCode::internal: return {500, "server_error"};
  }
  return {500, "server_error"};
}

boost::json::object error_body(std::string_view message, std::string_view type,
                               std::string_view param, std::string_view code) {
  // An error may quote what the client sent (a query value, an id, a URL): never echo a huge
  // value back whole. json_text() makes whatever is quoted valid UTF-8 on the wire.
  boost::json::object err;
  err["message"] = truncate_utf8(message, kMaxErrorMessageBytes);
  err["type"] = type;
  if (param.empty()) err["param"] = nullptr;
  else err["param"] = truncate_utf8(param, kMaxErrorParamBytes);
  err["code"] = code;
  boost::json::object out;
  out["error"] = std::move(err);
  return out;
}

Response json_response(unsigned status, const boost::json::value& body, unsigned version) {
  Response res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.body() = json_text(body);
  res.prepare_payload();
  return res;
}

Response error_response(const Error& error, unsigned version) {
  ErrorHttp h = error_http(error.code);
  return json_response(h.status, error_body(error.message, h.type, error.param, to_string(error.code)),
                       version);
}

Response error_response(unsigned status, std::string_view type, std::string_view code,
                        std::string_view message, std::string_view param, unsigned version) {
  return json_response(status, error_body(message, type, param, code), version);
}

ErrorShape error_shape_for_path(std::string_view path) {
  constexpr std::string_view kOvershoot = "/v0.2/";
  return path.substr(0, kOvershoot.size()) == kOvershoot || path == "/v0.2"
             ? ErrorShape::overshoot
             : ErrorShape::openai;
}

boost::json::object overshoot_error_body(std::string_view message, std::string_view code,
                                         std::string_view param, std::string_view request_id) {
  boost::json::object out;
  out["error"] = code;
  out["message"] = truncate_utf8(message, kMaxErrorMessageBytes);
  out["request_id"] = request_id;
  if (param.empty()) {
    out["details"] = nullptr;
  } else {
    boost::json::object details;
    details["param"] = truncate_utf8(param, kMaxErrorParamBytes);
    out["details"] = std::move(details);
  }
  return out;
}

Response error_response_for(const Request& req, const Error& error) {
  const ErrorHttp h = error_http(error.code);
  return error_response_for(req, h.status, h.type, to_string(error.code), error.message,
                            error.param);
}

Response error_response_for(const Request& req, unsigned status, std::string_view type,
                            std::string_view code, std::string_view message,
                            std::string_view param) {
  const unsigned version = req.message.version();
  if (error_shape_for_path(req.path) == ErrorShape::overshoot)
    return json_response(status, overshoot_error_body(message, code, param, req.request_id),
                         version);
  return json_response(status, error_body(message, type, param, code), version);
}

Result<boost::json::object> parse_json_object(std::string_view body) {
  if (body.empty())
    return make_error(ErrorCode::invalid_request,
                      "The request body is empty; expected a JSON object.");
  auto v = read_json(body);
  if (!v.ok())
    return make_error(ErrorCode::invalid_request,
                      "We could not parse the JSON body of your request: " + v.error().message +
                          ".");
  if (!v->is_object())
    return make_error(ErrorCode::invalid_request, "The request body must be a JSON object.");
  return std::move(v->as_object());
}

}  // namespace sl::api
