#include "api/router.hpp"

#include <gtest/gtest.h>

namespace sl::api {
namespace {

asio::awaitable<void> noop(Request&, ResponseWriter&) { co_return; }

Router sample() {
  Router r;
  r.add(http::verb::get, "/healthz", noop);
  r.add(http::verb::post, "/v1/streams", noop);
  r.add(http::verb::get, "/v1/streams", noop);
  r.add(http::verb::get, "/v1/streams/{id}", noop);
  r.add(http::verb::delete_, "/v1/streams/{id}", noop);
  r.add(http::verb::get, "/v1/streams/{id}/frame", noop);
  r.add(http::verb::get, "/v1/streams/special", noop);
  return r;
}

TEST(Router, MatchesLiteralRoutes) {
  auto r = sample();
  auto m = r.match(http::verb::get, "/healthz");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.pattern, "/healthz");
  EXPECT_TRUE(m.params.empty());
}

TEST(Router, ExtractsParameters) {
  auto r = sample();
  auto m = r.match(http::verb::get, "/v1/streams/abc-1/frame");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.pattern, "/v1/streams/{id}/frame");
  EXPECT_EQ(m.params.at("id"), "abc-1");
}

TEST(Router, UnknownPathIsNotFound) {
  auto r = sample();
  EXPECT_EQ(r.match(http::verb::get, "/v1/nothing").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match(http::verb::get, "/v1/streams/a/b/c").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match(http::verb::get, "").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match(http::verb::get, "healthz").kind, RouteMatch::Kind::not_found);
  // An empty segment does not match a parameter, and a trailing slash is a different path.
  EXPECT_EQ(r.match(http::verb::get, "/v1/streams//frame").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match(http::verb::get, "/v1/streams/").kind, RouteMatch::Kind::not_found);
}

TEST(Router, WrongMethodIsMethodNotAllowedWithAllowList) {
  auto r = sample();
  auto m = r.match(http::verb::put, "/v1/streams");
  ASSERT_EQ(m.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(m.pattern, "/v1/streams");
  EXPECT_EQ(allow_header(m.allowed), "POST, GET");
  auto d = r.match(http::verb::post, "/v1/streams/x");
  ASSERT_EQ(d.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(allow_header(d.allowed), "GET, DELETE");
}

TEST(Router, LiteralSegmentBeatsParameter) {
  auto r = sample();
  auto m = r.match(http::verb::get, "/v1/streams/special");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.pattern, "/v1/streams/special");
  // DELETE exists only on the parameter pattern, so it still routes there.
  auto d = r.match(http::verb::delete_, "/v1/streams/special");
  ASSERT_EQ(d.kind, RouteMatch::Kind::found);
  EXPECT_EQ(d.pattern, "/v1/streams/{id}");
  EXPECT_EQ(d.params.at("id"), "special");
}

TEST(Router, ParametersAreNotDecoded) {
  auto r = sample();
  auto m = r.match(http::verb::get, "/v1/streams/a%2Fb");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.params.at("id"), "a%2Fb");
}

TEST(Router, WebSocketRouteIsAGetRouteCarryingItsHandler) {
  Router r;
  r.add(http::verb::get, "/v1/streams/{id}", noop);
  r.add_websocket("/v1/ws/streams/{id}", [](WsOpen&) {}, WsRouteOptions{true});
  auto m = r.match(http::verb::get, "/v1/ws/streams/s1");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  ASSERT_TRUE(m.route->websocket);
  EXPECT_TRUE(m.route->websocket->options.first_message_auth);
  EXPECT_TRUE(m.route->options.auth);
  EXPECT_EQ(m.params.at("id"), "s1");
  EXPECT_FALSE(r.match(http::verb::get, "/v1/streams/s1").route->websocket);
  EXPECT_EQ(r.match(http::verb::post, "/v1/ws/streams/s1").kind,
            RouteMatch::Kind::method_not_allowed);
}

}  // namespace
}  // namespace sl::api
