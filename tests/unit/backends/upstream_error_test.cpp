#include "backends/upstream_error.hpp"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(UpstreamError, KeepsOpenAiMessageAndStatus) {
  Error e = upstream_http_error(
      400, R"({"error":{"message":"max_tokens is too large","type":"invalid_request_error"}})");
  EXPECT_EQ(e.code, ErrorCode::upstream_error);
  EXPECT_EQ(e.message, "upstream HTTP 400: max_tokens is too large");
  EXPECT_EQ(upstream_http_status(e), 400u);
}

TEST(UpstreamError, UnderstandsOtherServerShapes) {
  EXPECT_EQ(upstream_http_error(404, R"({"error":"model 'x' not found"})").message,
            "upstream HTTP 404: model 'x' not found");  // Ollama
  EXPECT_EQ(upstream_http_error(422, R"({"detail":"bad"})").message, "upstream HTTP 422: bad");
  EXPECT_EQ(upstream_http_error(500, R"({"message":"oops"})").message, "upstream HTTP 500: oops");
  EXPECT_EQ(upstream_http_error(502, "<html>\nBad Gateway</html>").message,
            "upstream HTTP 502: <html> Bad Gateway</html>");
  EXPECT_EQ(upstream_http_error(503, "").message, "upstream HTTP 503: (empty body)");
}

TEST(UpstreamError, StatusOnlyFromOurOwnMessages) {
  EXPECT_FALSE(upstream_http_status(make_error(ErrorCode::upstream_error, "other")).has_value());
  EXPECT_FALSE(upstream_http_status(make_error(ErrorCode::upstream_timeout, "upstream HTTP 504: x"))
                   .has_value());
  EXPECT_FALSE(upstream_http_status(make_error(ErrorCode::upstream_error, "upstream HTTP 5")).has_value());
}

}  // namespace
}  // namespace sl
