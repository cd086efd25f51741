// Checks a model's answer against a job's output_schema_json (SPEC section 5: "the result is
// checked against it"). Not a full JSON Schema validator: it checks what a structured-output
// answer most often gets wrong and what a client's code relies on:
// - the text parses as JSON and, when the schema's type is "object" (or it has properties or
//   required), is an object;
// - every key in `required` is present;
// - each top-level property named in `properties` that is present has the schema's `type`
//   (a string or a list of strings: string, number, integer, boolean, object, array, null) and,
//   when the property has an `enum`, one of its values.
// Nested schemas, formats, patterns and ranges are not checked. Pure; thread-safe.
// Returns ok, or an error message naming the first problem (the run is then ok:false).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sl::jobs {

// `schema_json` is the job's output_schema_json (already known to be a JSON object).
// nullopt when the answer passes; otherwise the reason.
std::optional<std::string> check_result(std::string_view answer, std::string_view schema_json);

}  // namespace sl::jobs
