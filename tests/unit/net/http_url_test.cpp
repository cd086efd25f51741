// The one outbound URL parser: what it takes apart, and the structure it refuses.
#include "net/http_url.hpp"

#include <gtest/gtest.h>

namespace sl::net {
namespace {

TEST(HttpUrl, SplitsSchemeHostPortAndTarget) {
  auto u = parse_http_url("https://Example.com:8443/v1/a%20b?x=1&y=2#frag");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_TRUE(u->origin.tls);
  EXPECT_EQ(u->origin.host, "Example.com");
  EXPECT_FALSE(u->origin.host_is_address);
  EXPECT_EQ(u->origin.port, 8443);
  EXPECT_EQ(u->origin.host_header, "Example.com:8443");
  EXPECT_EQ(u->target(), "/v1/a%20b?x=1&y=2");
  EXPECT_TRUE(u->has_fragment);
  EXPECT_EQ(u->without_fragment, "https://Example.com:8443/v1/a%20b?x=1&y=2");
}

TEST(HttpUrl, DefaultPortsStayOutOfTheHostHeader) {
  auto u = parse_http_url("http://example.com:80");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->origin.port, 80);
  EXPECT_EQ(u->origin.host_header, "example.com");
  EXPECT_EQ(u->target(), "/");
  u = parse_http_url("https://example.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->origin.port, 443);
}

TEST(HttpUrl, AddressLiterals) {
  auto v6 = parse_http_url("http://[::1]:9000/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->origin.host, "::1");
  EXPECT_TRUE(v6->origin.host_is_address);
  EXPECT_EQ(v6->origin.host_header, "[::1]:9000");
  auto v4 = parse_http_url("http://127.0.0.1:9000/x");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->origin.host_is_address);
  // Not dotted-quad: a name for the resolver (which may well make it 127.0.0.1).
  auto short_form = parse_http_url("http://127.1/");
  ASSERT_TRUE(short_form.ok());
  EXPECT_FALSE(short_form->origin.host_is_address);
}

TEST(HttpUrl, ReportsWhatCallersMayRefuse) {
  auto u = parse_http_url("http://user:pw@example.com/?q");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->has_userinfo);
  EXPECT_TRUE(u->has_query);
  EXPECT_FALSE(u->has_fragment);
}

TEST(HttpUrl, RefusesBadStructure) {
  for (const char* text : {"ftp://example.com/", "file:///etc/passwd", "not a url", "/relative",
                           "http:///nohost", "http://example.com:0/", "http://example.com:65536/",
                           "http://exa%6Dple.com/", "http://[v1.x]/", "http://example.com:99999999/"}) {
    auto u = parse_http_url(text);
    ASSERT_FALSE(u.ok()) << text;
    EXPECT_EQ(u.error().code, ErrorCode::invalid_request) << text;
  }
}

}  // namespace
}  // namespace sl::net
