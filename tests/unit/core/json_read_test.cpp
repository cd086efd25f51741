#include "core/json_read.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sl {
namespace {

TEST(JsonRead, AcceptsOneValue) {
  auto v = read_json(R"({"a":[1,2.5,"x",null,true]})");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->at("a").as_array().size(), 5u);
  EXPECT_TRUE(read_json_object("{}").ok());
}

TEST(JsonRead, RefusesWhatIsNotStrictJson) {
  for (const char* bad : {"", "{", "{} {}", "{}x", "[1,]", "{\"a\":1e999}", "[-1e400]",
                          "{\"a\":NaN}", "\"\xff\""}) {
    auto v = read_json(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().code, ErrorCode::invalid_request);
    EXPECT_EQ(v.error().message.rfind("invalid JSON", 0), 0u) << v.error().message;
  }
  EXPECT_NE(read_json("{\"a\":}").error().message.find("at byte 5"), std::string::npos);
  EXPECT_FALSE(read_json_object("[1]").ok());
}

TEST(JsonRead, BoundsNesting) {
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_FALSE(read_json(deep).ok());
  const std::string ok = std::string(60, '[') + std::string(60, ']');
  EXPECT_TRUE(read_json(ok).ok());
  EXPECT_FALSE(read_json(ok, JsonReadOptions{.max_depth = 10}).ok());
}

}  // namespace
}  // namespace sl
