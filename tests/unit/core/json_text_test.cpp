#include "core/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace sl {
namespace {

namespace json = boost::json;

TEST(JsonText, NumbersAsPeopleWriteThem) {
  EXPECT_EQ(json_text(json::value(30.095)), "30.095");
  EXPECT_EQ(json_text(json::value(0.7)), "0.7");
  EXPECT_EQ(json_text(json::value(2.0)), "2.0");
  EXPECT_EQ(json_text(json::value(-0.5)), "-0.5");
  EXPECT_EQ(json_text(json::value(1e21)), "1e+21");
  EXPECT_EQ(json_text(json::value(int64_t{-42})), "-42");
  EXPECT_EQ(json_text(json::value(uint64_t{18446744073709551615u})), "18446744073709551615");
  EXPECT_EQ(json_text(json::value(std::numeric_limits<double>::infinity())), "null");
}

TEST(JsonText, RoundTripsThroughAParser) {
  const char* doc =
      R"({"a":[1,2.5,true,null,"x\"y\\z\n\t\u0001"],"b":{"c":-1.25e-7,"d":"\u00e9\u4e2d"}})";
  json::value v = json::parse(doc);
  EXPECT_EQ(json::parse(json_text(v)), v);
}

TEST(JsonText, InvalidUtf8BecomesReplacementCharacter) {
  json::value v = json::string("id \xff\xC3\x28 end");
  const std::string out = json_text(v);
  EXPECT_EQ(out, "\"id \xEF\xBF\xBD\xEF\xBF\xBD( end\"");
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(valid_utf8("ok \xE2\x82\xAC"), "ok \xE2\x82\xAC");
}

TEST(Utf8, LengthAndTruncation) {
  EXPECT_EQ(utf8_length("\xE2\x82\xAC\xE2\x82\xAC"), 2u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(truncate_utf8("\xE2\x82\xAC\xE2\x82\xAC", 4), "\xE2\x82\xAC...");
  EXPECT_EQ(truncate_utf8("short", 10), "short");
}

}  // namespace
}  // namespace sl
