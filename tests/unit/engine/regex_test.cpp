#include "engine/regex.hpp"

#include <gtest/gtest.h>

#include "engine/unicode.hpp"

namespace sl::engine {
namespace {

std::vector<std::string> all(std::string_view pattern, std::string_view text) {
  auto re = Regex::compile(pattern);
  EXPECT_TRUE(re.ok()) << (re.ok() ? "" : re.error().message);
  if (!re.ok()) return {};
  const std::u32string cps = unicode::decode_utf8(text);
  std::vector<std::string> out;
  for (const Regex::Match& m : re->find_all(cps))
    out.push_back(unicode::encode_utf8(std::u32string_view(cps).substr(m.begin, m.end - m.begin)));
  return out;
}

TEST(Regex, Gpt2Pattern) {
  const char* gpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
  EXPECT_EQ(all(gpt2, "Hello world's  end 42!!"),
            (std::vector<std::string>{"Hello", " world", "'s", " ", " end", " 42", "!!"}));
  EXPECT_EQ(all(gpt2, "Grüße 東京"), (std::vector<std::string>{"Grüße", " 東京"}));
}

TEST(Regex, CaseInsensitiveGroupsQuantifiersAndLookahead) {
  EXPECT_EQ(all("(?i:'s|'t)", "IT'S it's"), (std::vector<std::string>{"'S", "'s"}));
  EXPECT_EQ(all(R"(\p{N}{1,3})", "1234567"), (std::vector<std::string>{"123", "456", "7"}));
  EXPECT_EQ(all(R"(a+?b)", "aaab"), (std::vector<std::string>{"aaab"}));
  EXPECT_EQ(all(R"(\s+(?!\S)|\s+)", "a   b"), (std::vector<std::string>{"  ", " "}));
  EXPECT_EQ(all(R"([^\r\n\p{L}\p{N}]?\p{L}+)", "(abc) x"), (std::vector<std::string>{"(abc", " x"}));
  EXPECT_EQ(all(R"(\x41|\u00e9)", "AéB"), (std::vector<std::string>{"A", "é"}));
  EXPECT_EQ(all(R"((?:ab)+)", "ababa"), (std::vector<std::string>{"abab"}));
}

TEST(Regex, RejectsWhatItDoesNotSupport) {
  EXPECT_FALSE(Regex::compile("(?<=a)b").ok());
  EXPECT_FALSE(Regex::compile(R"(\p{Lu})").ok());
  EXPECT_FALSE(Regex::compile("(ab").ok());
  EXPECT_FALSE(Regex::compile("[ab").ok());
  EXPECT_FALSE(Regex::compile("a++").ok());
}

TEST(Regex, LongRunsDoNotRecurse) {
  const std::string text(200000, 'a');
  EXPECT_EQ(all(R"(\p{L}+)", text).size(), 1u);
}

}  // namespace
}  // namespace sl::engine
