// Base64 (RFC 4648, standard alphabet, padded) for data: URLs. Encoding is the hot path: every
// image sent to a remote model goes through it, so it works on whole 3-byte groups with a
// lookup table and writes into a presized string. Output is a pure function of the input, so the
// same JPEG always yields byte-identical text (upstream prompt caches depend on that).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl {

// Length of the padded encoding of n bytes.
constexpr size_t base64_encoded_size(size_t n) { return (n + 2) / 3 * 4; }

std::string base64_encode(std::span<const uint8_t> data);
// Writes exactly base64_encoded_size(data.size()) characters to `out` (no terminator).
void base64_encode_to(std::span<const uint8_t> data, char* out);
// Appends the encoding to `out` (one allocation when `out` was reserved by the caller).
void base64_encode_append(std::span<const uint8_t> data, std::string& out);

// Decodes padded or unpadded standard base64. ASCII whitespace is skipped (data: URLs are
// sometimes wrapped); any other byte outside the alphabet, or misplaced padding, is
// invalid_request.
Result<Bytes> base64_decode(std::string_view text);

}  // namespace sl
