// The stream id rule of SPEC.md section 3, `[A-Za-z0-9_-]{1,64}`: one definition shared by the
// ovs:// parser, the stream manager (requested ids) and the HTTP routes.
#pragma once

#include <string_view>

namespace sl {

constexpr bool valid_stream_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

}  // namespace sl
