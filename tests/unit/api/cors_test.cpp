#include "api/cors.hpp"

#include <gtest/gtest.h>

namespace sl::api {
namespace {

std::string get(const HeaderList& h, const std::string& name) {
  for (const auto& [k, v] : h)
    if (k == name) return v;
  return {};
}

TEST(Cors, NoOriginsConfiguredAllowsNone) {
  CorsPolicy p;
  EXPECT_FALSE(p.allows("https://app.example"));
  EXPECT_TRUE(p.response_headers("https://app.example").empty());
  EXPECT_TRUE(p.preflight_headers("https://app.example", "authorization").empty());
}

TEST(Cors, ListedOriginIsEchoed) {
  CorsPolicy p({"https://app.example/", "http://localhost:3000"});
  EXPECT_TRUE(p.allows("https://app.example"));
  EXPECT_TRUE(p.allows("HTTPS://APP.EXAMPLE"));
  EXPECT_TRUE(p.allows("http://localhost:3000"));
  EXPECT_FALSE(p.allows("http://localhost:3001"));
  EXPECT_FALSE(p.allows("https://evil.example"));
  EXPECT_FALSE(p.allows(""));
  auto h = p.response_headers("https://app.example");
  EXPECT_EQ(get(h, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(get(h, "Vary"), "Origin");
  EXPECT_NE(get(h, "Access-Control-Expose-Headers").find("X-Frame-Index"), std::string::npos);
  EXPECT_TRUE(p.response_headers("https://evil.example").empty());
}

TEST(Cors, WildcardAllowsAnyOrigin) {
  CorsPolicy p({"*"});
  EXPECT_TRUE(p.allows("https://anything.example"));
  EXPECT_EQ(get(p.response_headers("https://x.example"), "Access-Control-Allow-Origin"),
            "https://x.example");
}

TEST(Cors, PreflightHeaders) {
  CorsPolicy p({"https://app.example"});
  auto h = p.preflight_headers("https://app.example", "authorization, content-type");
  EXPECT_EQ(get(h, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_NE(get(h, "Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_EQ(get(h, "Access-Control-Allow-Headers"), "authorization, content-type");
  EXPECT_EQ(get(h, "Access-Control-Max-Age"), "600");
  // Odd requested headers fall back to the fixed list.
  auto odd = p.preflight_headers("https://app.example", "x\r\nInjected: yes");
  EXPECT_EQ(get(odd, "Access-Control-Allow-Headers"), "Authorization, Content-Type");
}

TEST(Cors, CredentialsAllowedWithTheEchoedOriginNeverAStar) {
  // fetch(..., {credentials: "include"}) (the Overshoot SDK) needs both on the preflight and on
  // the response, and a literal origin.
  for (const char* configured : {"https://app.example", "*"}) {
    CorsPolicy p({configured});
    auto h = p.response_headers("https://app.example");
    EXPECT_EQ(get(h, "Access-Control-Allow-Origin"), "https://app.example");
    EXPECT_EQ(get(h, "Access-Control-Allow-Credentials"), "true");
    auto pre = p.preflight_headers("https://app.example", "authorization, content-type");
    EXPECT_EQ(get(pre, "Access-Control-Allow-Origin"), "https://app.example");
    EXPECT_EQ(get(pre, "Access-Control-Allow-Credentials"), "true");
    EXPECT_NE(get(pre, "Access-Control-Allow-Methods").find("PATCH"), std::string::npos);
    EXPECT_NE(get(pre, "Access-Control-Allow-Methods").find("DELETE"), std::string::npos);
  }
  CorsPolicy p({"https://app.example"});
  EXPECT_TRUE(p.response_headers("https://evil.example").empty());
  EXPECT_TRUE(p.preflight_headers("https://evil.example", "authorization", true).empty());
}

TEST(Cors, PrivateNetworkPreflightIsGrantedOnlyWhenAsked) {
  CorsPolicy p({"https://app.example"});
  EXPECT_EQ(get(p.preflight_headers("https://app.example", "", true),
                "Access-Control-Allow-Private-Network"),
            "true");
  EXPECT_EQ(get(p.preflight_headers("https://app.example", ""),
                "Access-Control-Allow-Private-Network"),
            "");
}

}  // namespace
}  // namespace sl::api
