#include "core/status.hpp"
#include "core/random_id.hpp"

#include <gtest/gtest.h>

namespace sl {

TEST(Result, HoldsValueOrError) {
  Result<int> a = 5;
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 5);
  Result<int> b = make_error(ErrorCode::stream_not_found, "no such stream", "model");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::stream_not_found);
  EXPECT_EQ(to_string(b.error().code), "stream_not_found");
  EXPECT_FALSE(b.status().ok());
}

TEST(RandomId, HexOfRequestedLengthAndDistinct) {
  auto a = random_hex_id("sk-", 16);
  auto b = random_hex_id("sk-", 16);
  EXPECT_EQ(a.size(), 3u + 32u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(constant_time_equal(a, a));
  EXPECT_FALSE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, a + "x"));
}

}  // namespace sl

#include "core/stream_id.hpp"

namespace sl {
static_assert(valid_stream_id("demo") && valid_stream_id("A-z_09"));
static_assert(valid_stream_id(std::string_view("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")));
static_assert(!valid_stream_id("") && !valid_stream_id("a b") && !valid_stream_id("a/b") &&
              !valid_stream_id("é"));
static_assert(!valid_stream_id(std::string_view("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")));
}  // namespace sl
