// The one JSON writer for what leaves the server (HTTP bodies, SSE events, WebSocket messages,
// upstream request bodies). Two things differ from boost::json::serialize, both on purpose:
// - numbers are written the way people and other servers write them: shortest round-trip
//   decimal ("30.095", "0.7", "2.0"), not Boost's exponent form ("3.0095E1"); non-finite
//   doubles, which JSON cannot carry, become null;
// - strings are always valid UTF-8: an invalid byte sequence (a percent-decoded query value,
//   a path segment) becomes U+FFFD instead of going out raw, so strict decoders (Python's json,
//   the openai SDKs) can always read an error that quotes bad input.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace sl {

std::string json_text(const boost::json::value& v);
void append_json_text(std::string& out, const boost::json::value& v);

// `s` with every invalid UTF-8 sequence replaced by U+FFFD (one per maximal invalid subpart).
std::string valid_utf8(std::string_view s);
bool is_valid_utf8(std::string_view s);

// Number of Unicode code points in `s` (invalid bytes count one each).
size_t utf8_length(std::string_view s);

// At most `max_bytes` of `s`, cut at a code point boundary, with "..." appended when cut.
std::string truncate_utf8(std::string_view s, size_t max_bytes);

}  // namespace sl
