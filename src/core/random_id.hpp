// Unpredictable identifiers (stream ids, API keys, request ids) from the OS CSPRNG.
#pragma once

#include <string>

namespace sl {

// `bytes` random bytes as lowercase hex (2*bytes characters), prefixed.
std::string random_hex_id(const std::string& prefix, int bytes);

// Constant-time comparison for secrets.
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace sl
