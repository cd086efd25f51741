#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <random>

namespace sl {
namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(bytes_of("")), "");
  EXPECT_EQ(base64_encode(bytes_of("f")), "Zg==");
  EXPECT_EQ(base64_encode(bytes_of("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(bytes_of("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(bytes_of("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(bytes_of("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(bytes_of("foobar")), "Zm9vYmFy");
  const uint8_t high[] = {0xfb, 0xff, 0xfe};
  EXPECT_EQ(base64_encode(high), "+//+");
}

TEST(Base64, RoundTripsEveryLength) {
  std::mt19937 rng(7);
  for (size_t n = 0; n < 300; ++n) {
    Bytes data(n);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    const std::string text = base64_encode(data);
    ASSERT_EQ(text.size(), base64_encoded_size(n));
    auto back = base64_decode(text);
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, data);
  }
}

TEST(Base64, AppendKeepsPrefix) {
  std::string s = "data:image/jpeg;base64,";
  base64_encode_append(bytes_of("foobar"), s);
  EXPECT_EQ(s, "data:image/jpeg;base64,Zm9vYmFy");
}

TEST(Base64, DecodeAcceptsUnpaddedAndWhitespace) {
  auto a = base64_decode("Zm9v\r\nYmE");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::string(a->begin(), a->end()), "fooba");
  auto b = base64_decode("Zg==");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(std::string(b->begin(), b->end()), "f");
}

TEST(Base64, DecodeRejectsGarbage) {
  EXPECT_FALSE(base64_decode("Zm9v!").ok());
  EXPECT_FALSE(base64_decode("Z").ok());         // a lone sextet
  EXPECT_FALSE(base64_decode("Zg==Zg==").ok());  // data after padding
  EXPECT_FALSE(base64_decode("Zg=").ok());       // padding that does not complete the group
  EXPECT_EQ(base64_decode("*").error().code, ErrorCode::invalid_request);
}

}  // namespace
}  // namespace sl
