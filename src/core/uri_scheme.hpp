// uri_scheme: the scheme of a URI in lower case (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" /
// "." ) before the first ':'; schemes compare case-insensitively), or "" when there is none.
// "HTTP://h/x" -> "http", "data:,x" -> "data", "/a:b" -> "". Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace sl {

inline std::string uri_scheme(std::string_view uri) {
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  std::string scheme;
  for (char c : uri.substr(0, colon)) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool other = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!alpha && !(other && !scheme.empty())) return {};
    scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return scheme;
}

}  // namespace sl
