// GPT-2's byte-level alphabet: every byte maps to one printable code point (so BPE vocabularies
// are text), and back. Used by the ByteLevel pre-tokenizer and decoder. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sl::engine::byte_level {

char32_t byte_to_char(unsigned char b);
std::optional<unsigned char> char_to_byte(char32_t c);
std::string encode(std::string_view bytes);  // bytes -> UTF-8 text of mapped code points
// Mapped text -> raw bytes; code points outside the alphabet pass through as their UTF-8.
std::string decode(std::string_view text);

}  // namespace sl::engine::byte_level
