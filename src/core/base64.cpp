#include "core/base64.hpp"

#include <array>

namespace sl {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr int8_t kInvalid = -1;
constexpr int8_t kSpace = -2;
constexpr int8_t kPad = -3;

constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  for (char c : {' ', '\t', '\r', '\n', '\f', '\v'}) t[static_cast<uint8_t>(c)] = kSpace;
  t[static_cast<uint8_t>('=')] = kPad;
  return t;
}

constexpr std::array<int8_t, 256> kDecode = make_decode_table();

}  // namespace

void base64_encode_to(std::span<const uint8_t> data, char* dst) {
  const size_t n = data.size();
  const uint8_t* src = data.data();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8) | src[i + 2];
    dst[0] = kAlphabet[(v >> 18) & 63];
    dst[1] = kAlphabet[(v >> 12) & 63];
    dst[2] = kAlphabet[(v >> 6) & 63];
    dst[3] = kAlphabet[v & 63];
    dst += 4;
  }
  const size_t rest = n - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{src[i]} << 16;
    dst[0] = kAlphabet[(v >> 18) & 63];
    dst[1] = kAlphabet[(v >> 12) & 63];
    dst[2] = '=';
    dst[3] = '=';
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8);
    dst[0] = kAlphabet[(v >> 18) & 63];
    dst[1] = kAlphabet[(v >> 12) & 63];
    dst[2] = kAlphabet[(v >> 6) & 63];
    dst[3] = '=';
  }
}

void base64_encode_append(std::span<const uint8_t> data, std::string& out) {
  const size_t start = out.size();
  out.resize(start + base64_encoded_size(data.size()));
  base64_encode_to(data, out.data() + start);
}

std::string base64_encode(std::span<const uint8_t> data) {
  std::string out;
  base64_encode_append(data, out);
  return out;
}

Result<Bytes> base64_decode(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int have = 0;      // sextets in acc
  int padding = 0;   // '=' seen
  for (char ch : text) {
    const int8_t v = kDecode[static_cast<uint8_t>(ch)];
    if (v == kSpace) continue;
    if (v == kPad) {
      ++padding;
      continue;
    }
    if (v == kInvalid) return make_error(ErrorCode::invalid_request, "invalid base64 character");
    if (padding > 0) return make_error(ErrorCode::invalid_request, "base64 data after padding");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++have == 4) {
      out.push_back(static_cast<uint8_t>(acc >> 16));
      out.push_back(static_cast<uint8_t>(acc >> 8));
      out.push_back(static_cast<uint8_t>(acc));
      acc = 0;
      have = 0;
    }
  }
  // A final group of 2 or 3 sextets carries 1 or 2 bytes; 1 sextet carries none (malformed).
  if (have == 1) return make_error(ErrorCode::invalid_request, "truncated base64 data");
  if (padding > 0 && (have == 0 || have + padding != 4)) {
    return make_error(ErrorCode::invalid_request, "misplaced base64 padding");
  }
  if (have == 2) {
    out.push_back(static_cast<uint8_t>(acc >> 4));
  } else if (have == 3) {
    out.push_back(static_cast<uint8_t>(acc >> 10));
    out.push_back(static_cast<uint8_t>(acc >> 2));
  }
  return out;
}

}  // namespace sl
