// The one table from sl::ErrorCode to HTTP status and OpenAI error `type`, and helpers that
// build responses: the OpenAI error envelope {"error":{"message","type","param","code"}}, the
// Overshoot error object {"error","message","request_id","details"} served under /v0.2 (same
// status and the same wire code, in Overshoot's flat shape), JSON bodies, and strict parsing of
// JSON request bodies (malformed JSON says where).
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "api/http_types.hpp"
#include "core/status.hpp"

namespace sl::api {

struct ErrorHttp {
  unsigned status;
  std::string_view type;
};

// HTTP status and envelope type for a code (docs/api.md has the table).
ErrorHttp error_http(ErrorCode code);

// {"error":{...}}; an empty param is rendered as null.
boost::json::object error_body(std::string_view message, std::string_view type,
                               std::string_view param, std::string_view code);

// The envelope response for an Error, with status and type from the table.
Response error_response(const Error& error, unsigned version = 11);
// An envelope with an explicit status/type/code, for HTTP-level errors that have no ErrorCode
// (405 method_not_allowed, 431, 503 overload).
Response error_response(unsigned status, std::string_view type, std::string_view code,
                        std::string_view message, std::string_view param = {},
                        unsigned version = 11);

// Which error body a request gets: Overshoot's for paths under /v0.2/ (the Overshoot SDK reads
// `message`, `request_id` and `details` there), OpenAI's envelope everywhere else.
enum class ErrorShape { openai, overshoot };
ErrorShape error_shape_for_path(std::string_view path);

// {"error": code, "message", "request_id", "details"}; details is {"param": p} when the error
// names a field, else null.
boost::json::object overshoot_error_body(std::string_view message, std::string_view code,
                                         std::string_view param, std::string_view request_id);

// The error response for `req`, in the shape its path calls for (error_shape_for_path); status
// from the table. Handlers of routes served under both prefixes use these.
Response error_response_for(const Request& req, const Error& error);
Response error_response_for(const Request& req, unsigned status, std::string_view type,
                            std::string_view code, std::string_view message,
                            std::string_view param = {});

Response json_response(unsigned status, const boost::json::value& body, unsigned version = 11);

// Parses a request body that must be a JSON object. Errors are invalid_request with a message
// that says what is wrong and at which byte.
Result<boost::json::object> parse_json_object(std::string_view body);

}  // namespace sl::api
