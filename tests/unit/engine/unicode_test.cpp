#include "engine/unicode.hpp"

#include <gtest/gtest.h>

namespace sl::engine::unicode {
namespace {

TEST(Unicode, Utf8RoundTripAndLossyDecoding) {
  const std::string s = "aé東😀";
  EXPECT_EQ(encode_utf8(decode_utf8(s)), s);
  EXPECT_EQ(decode_utf8("\xF0\x9F"), std::u32string(U"\uFFFD"));
  EXPECT_EQ(decode_utf8("a\x80z"), std::u32string(U"a\uFFFDz"));
  EXPECT_EQ(decode_utf8("\xED\xA0\x80"), std::u32string(U"\uFFFD\uFFFD\uFFFD"));  // a surrogate
}

TEST(Unicode, CompletePrefixHoldsBackOnlyUnfinishedCharacters) {
  EXPECT_EQ(complete_utf8_prefix("ab\xF0\x9F\x98"), 2u);
  EXPECT_EQ(complete_utf8_prefix("ab\xF0\x9F\x98\x80"), 6u);
  EXPECT_EQ(complete_utf8_prefix("ab\x80"), 3u);  // broken for good: nothing to wait for
}

TEST(Unicode, Classes) {
  EXPECT_TRUE(is_letter(U'é'));
  EXPECT_TRUE(is_letter(U'東'));
  EXPECT_FALSE(is_letter(U'1'));
  EXPECT_TRUE(is_number(U'½'));
  EXPECT_TRUE(is_number(U'٣'));
  EXPECT_TRUE(is_whitespace(0x3000));
  EXPECT_FALSE(is_whitespace(0x200B));
}

TEST(Unicode, Nfc) {
  EXPECT_EQ(nfc(std::string_view("cafe\xCC\x81")), "café");
  EXPECT_EQ(nfc(std::string_view("A\xCC\x8A")), "Å");
  EXPECT_EQ(nfc(std::string_view("\xE1\x84\x80\xE1\x85\xA1")), "가");  // Hangul L+V
  EXPECT_EQ(nfc(std::string_view("q\xCC\xA3\xCC\x87")), "q\xCC\xA3\xCC\x87");  // nothing to compose
}

TEST(Unicode, PythonRepr) {
  EXPECT_EQ(python_repr("it's"), "\"it's\"");
  EXPECT_EQ(python_repr("a\nb\\"), "'a\\nb\\\\'");
  EXPECT_EQ(python_repr("x\xC2\xA0y"), "'x\\xa0y'");
  EXPECT_EQ(python_repr("Zürich"), "'Zürich'");
}

}  // namespace
}  // namespace sl::engine::unicode
