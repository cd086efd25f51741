#include "core/random_id.hpp"

#include <random>

namespace sl {

std::string random_hex_id(const std::string& prefix, int bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;  // getrandom(2) on Linux
  std::string out = prefix;
  out.reserve(prefix.size() + static_cast<size_t>(bytes) * 2);
  for (int i = 0; i < bytes; ++i) {
    unsigned v = rd() & 0xffu;
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 0xf]);
  }
  return out;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace sl
