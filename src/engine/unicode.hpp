// Unicode helpers for the tokenizer and the chat template: UTF-8 <-> code points (invalid
// input becomes U+FFFD, as Rust's from_utf8_lossy does), the character classes the regex
// needs (\p{L}, \p{N}, \s as Oniguruma defines it), NFC normalization and Python's repr() of
// a string. Pure functions, thread-safe; data from unicode_tables.cpp (generated).
#pragma once

#include <string>
#include <string_view>

namespace sl::engine::unicode {

std::u32string decode_utf8(std::string_view s);  // invalid sequences -> U+FFFD each
std::string encode_utf8(std::u32string_view s);
void append_utf8(std::string& out, char32_t cp);
// Length of the longest prefix of s that is complete UTF-8, leaving out a trailing
// sequence that is merely unfinished (it could still become valid).
std::size_t complete_utf8_prefix(std::string_view s);
bool is_valid_utf8(std::string_view s);

bool is_letter(char32_t cp);      // general category L*
bool is_number(char32_t cp);      // general category N* (also Rust's char::is_numeric)
bool is_whitespace(char32_t cp);  // the White_Space property (Oniguruma's \s)
bool is_printable(char32_t cp);   // Python's str.isprintable() for one character
char32_t simple_lower(char32_t cp);  // ASCII and Latin-1/Greek/Cyrillic basic ranges only

std::u32string nfc(std::u32string_view s);
std::string nfc(std::string_view s);

std::string python_repr(std::string_view utf8);  // 'text' with Python's quoting and escapes

}  // namespace sl::engine::unicode
