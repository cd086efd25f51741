// The one strict JSON reader for everything sightline parses: request bodies, upstream answers,
// the config file, checkpoint files. Strict means: the whole input is one JSON value (trailing
// bytes are an error), valid UTF-8, nesting at most `max_depth` deep, and every number finite
// (Boost.JSON reads 1e999 as infinity; JSON has no infinity, so accepting it would silently change
// the value). Errors are invalid_request with a message that says what and where ("... at byte
// N"); callers that need another code (a malformed upstream answer) map it.
#pragma once

#include <cstddef>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/status.hpp"

namespace sl {

struct JsonReadOptions {
  size_t max_depth = 64;
};

Result<boost::json::value> read_json(std::string_view text, const JsonReadOptions& options = {});
// read_json, and the value must be an object ("expected a JSON object").
Result<boost::json::object> read_json_object(std::string_view text,
                                             const JsonReadOptions& options = {});

// The API's one wording for a request field of the wrong JSON type: invalid_request (400),
// "Invalid type for '<param>': expected <expected>.", param set.
Error json_type_error(const std::string& param, std::string_view expected);

}  // namespace sl
