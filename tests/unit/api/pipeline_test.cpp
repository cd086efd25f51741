#include "api/api_pipeline.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "api/error_response.hpp"
#include "api_test_support.hpp"
#include "fakes/manual_clock.hpp"

namespace sl::api {
namespace {
using testing::make_request;
using testing::RecordingWriter;
using testing::run_coro;

asio::awaitable<void> whoami(Request& req, ResponseWriter& w) {
  boost::json::object o;
  o["owner"] = req.owner;
  o["id"] = req.param("id");
  co_await w.send(json_response(200, o));
}

asio::awaitable<void> silent(Request&, ResponseWriter&) { co_return; }

asio::awaitable<void> throws(Request&, ResponseWriter&) {
  throw std::runtime_error("boom");
  co_return;
}

struct PipelineTest : ::testing::Test {
  Metrics metrics;
  sl::testing::ManualClock clock;

  ApiPipeline make(KeyRing keys, std::vector<std::string> origins = {}) {
    Router r;
    r.add(http::verb::get, "/v1/things/{id}", whoami);
    r.add(http::verb::get, "/open", whoami, RouteOptions{.auth = false});
    r.add(http::verb::get, "/silent", silent);
    r.add(http::verb::get, "/throws", throws);
    r.add(http::verb::get, "/v0.2/things/{id}", whoami);
    r.add(http::verb::get, "/v0.2/throws", throws);
    return ApiPipeline(std::move(r), std::move(keys), CorsPolicy(origins), metrics, clock);
  }

  RecordingWriter call(const ApiPipeline& p, Request req) {
    RecordingWriter w;
    run_coro(p.handle(req, w));
    return w;
  }
};

Request with_header(Request r, http::field f, const std::string& v) {
  r.message.set(f, v);
  return r;
}

TEST_F(PipelineTest, AuthenticatedRouteGetsOwnerAndParams) {
  auto p = make(KeyRing({"sk-a"}));
  auto w = call(p, with_header(make_request(http::verb::get, "/v1/things/42"),
                               http::field::authorization, "Bearer sk-a"));
  ASSERT_EQ(w.status(), 200u);
  EXPECT_EQ(w.json().at("owner").as_string(), KeyRing::owner_id("sk-a"));
  EXPECT_EQ(w.json().at("id").as_string(), "42");
  EXPECT_EQ(w.header("X-Request-Id").rfind("req_", 0), 0u);
}

TEST_F(PipelineTest, MissingAndWrongKeysAre401Envelopes) {
  auto p = make(KeyRing({"sk-a"}));
  auto missing = call(p, make_request(http::verb::get, "/v1/things/1"));
  EXPECT_EQ(missing.status(), 401u);
  EXPECT_EQ(missing.json().at("error").at("code").as_string(), "invalid_api_key");
  EXPECT_EQ(missing.header("WWW-Authenticate"), "Bearer");
  auto wrong = call(p, with_header(make_request(http::verb::get, "/v1/things/1"),
                                   http::field::authorization, "Bearer sk-b"));
  EXPECT_EQ(wrong.status(), 401u);
  EXPECT_EQ(wrong.json().at("error").at("type").as_string(), "authentication_error");
}

TEST_F(PipelineTest, PipelineErrorsUnderV02UseOvershootsShape) {
  auto p = make(KeyRing({"sk-a"}));
  auto check = [](const RecordingWriter& w, unsigned status, const char* code) {
    EXPECT_EQ(w.status(), status);
    const boost::json::object body = w.json().as_object();
    EXPECT_EQ(body.size(), 4u) << boost::json::serialize(body);
    EXPECT_EQ(body.at("error").as_string(), code);
    EXPECT_EQ(body.at("request_id").as_string(), w.header("X-Request-Id"));
    EXPECT_FALSE(body.at("message").as_string().empty());
  };
  check(call(p, make_request(http::verb::get, "/v0.2/things/1")), 401, "invalid_api_key");
  auto authed = [](Request r) {
    return with_header(std::move(r), http::field::authorization, "Bearer sk-a");
  };
  check(call(p, authed(make_request(http::verb::get, "/v0.2/nothing"))), 404, "not_found");
  check(call(p, authed(make_request(http::verb::post, "/v0.2/things/1"))), 405,
        "method_not_allowed");
  check(call(p, authed(make_request(http::verb::get, "/v0.2/throws"))), 500, "internal_error");
  // The same failures elsewhere keep the OpenAI envelope.
  auto v1 = call(p, make_request(http::verb::get, "/v1/things/1"));
  EXPECT_EQ(v1.json().at("error").at("code").as_string(), "invalid_api_key");
}

TEST_F(PipelineTest, OpenRouteNeedsNoKey) {
  auto p = make(KeyRing({"sk-a"}));
  EXPECT_EQ(call(p, make_request(http::verb::get, "/open")).status(), 200u);
}

TEST_F(PipelineTest, InsecureModeIsAnonymous) {
  auto p = make(KeyRing::insecure());
  auto w = call(p, make_request(http::verb::get, "/v1/things/1"));
  ASSERT_EQ(w.status(), 200u);
  EXPECT_EQ(w.json().at("owner").as_string(), "anonymous");
}

TEST_F(PipelineTest, UnknownRouteIs404AndWrongMethodIs405) {
  auto p = make(KeyRing({"sk-a"}));
  auto nf = call(p, make_request(http::verb::get, "/v1/nothing"));
  EXPECT_EQ(nf.status(), 404u);
  EXPECT_EQ(nf.json().at("error").at("code").as_string(), "not_found");
  auto na = call(p, make_request(http::verb::post, "/v1/things/1"));
  EXPECT_EQ(na.status(), 405u);
  EXPECT_EQ(na.json().at("error").at("code").as_string(), "method_not_allowed");
  EXPECT_EQ(na.header("Allow"), "GET");
}

TEST_F(PipelineTest, CorsPreflightForAllowedOriginWithoutKey) {
  auto p = make(KeyRing({"sk-a"}), {"https://app.example"});
  auto req = make_request(http::verb::options, "/v1/things/1");
  req.message.set(http::field::origin, "https://app.example");
  req.message.set(http::field::access_control_request_method, "GET");
  req.message.set(http::field::access_control_request_headers, "authorization");
  auto w = call(p, req);
  EXPECT_EQ(w.status(), 204u);
  EXPECT_EQ(w.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(w.header("Access-Control-Allow-Headers"), "authorization");
  EXPECT_FALSE(w.header("Access-Control-Max-Age").empty());
}

TEST_F(PipelineTest, CorsPreflightForOtherOriginHasNoGrant) {
  auto p = make(KeyRing({"sk-a"}), {"https://app.example"});
  auto req = make_request(http::verb::options, "/v1/things/1");
  req.message.set(http::field::origin, "https://evil.example");
  req.message.set(http::field::access_control_request_method, "GET");
  auto w = call(p, req);
  EXPECT_EQ(w.status(), 204u);
  EXPECT_TRUE(w.header("Access-Control-Allow-Origin").empty());
}

TEST_F(PipelineTest, CorsHeadersOnActualResponsesIncludingErrors) {
  auto p = make(KeyRing({"sk-a"}), {"*"});
  auto req = make_request(http::verb::get, "/v1/things/1");
  req.message.set(http::field::origin, "https://x.example");
  auto w = call(p, req);
  EXPECT_EQ(w.status(), 401u);
  EXPECT_EQ(w.header("Access-Control-Allow-Origin"), "https://x.example");
}

TEST_F(PipelineTest, HandlerWithoutAnswerOrThrowingGets500) {
  auto p = make(KeyRing::insecure());
  auto s = call(p, make_request(http::verb::get, "/silent"));
  EXPECT_EQ(s.status(), 500u);
  EXPECT_EQ(s.json().at("error").at("type").as_string(), "server_error");
  auto t = call(p, make_request(http::verb::get, "/throws"));
  EXPECT_EQ(t.status(), 500u);
}

TEST_F(PipelineTest, MetricsUseTheRoutePattern) {
  auto p = make(KeyRing::insecure());
  call(p, make_request(http::verb::get, "/v1/things/1"));
  call(p, make_request(http::verb::get, "/v1/things/2"));
  call(p, make_request(http::verb::get, "/v1/nothing"));
  EXPECT_EQ(metrics.value("http_requests_total",
                          {{"route", "/v1/things/{id}"}, {"method", "GET"}, {"status", "200"}}),
            2.0);
  EXPECT_EQ(metrics.value("http_requests_total",
                          {{"route", "unmatched"}, {"method", "GET"}, {"status", "404"}}),
            1.0);
  std::string text = metrics.render();
  EXPECT_NE(text.find("http_request_duration_seconds_bucket{route=\"/v1/things/{id}\""),
            std::string::npos);
  EXPECT_EQ(text.find("/v1/things/1"), std::string::npos);
}

TEST(ResponseWriter, StreamingSequence) {
  RecordingWriter w;
  w.add_header("X-Extra", "1");
  // (GCC 12 rejects braced initializer lists of pairs inside coroutines, so headers are built here.)
  HeaderList headers{{"Content-Type", "text/event-stream"}};
  run_coro([&]() -> asio::awaitable<void> {
    EXPECT_FALSE(co_await w.write("early"));  // before begin_stream
    EXPECT_TRUE(co_await w.begin_stream(http::status::ok, headers));
    EXPECT_TRUE(co_await w.write("data: 1\n\n"));
    EXPECT_TRUE(co_await w.write(""));
    EXPECT_TRUE(co_await w.end());
    EXPECT_FALSE(co_await w.send(Response{}));  // already answered
  }());
  EXPECT_TRUE(w.completed());
  EXPECT_EQ(w.status(), 200u);
  EXPECT_EQ(w.header("X-Extra"), "1");
  EXPECT_EQ(w.header("Content-Type"), "text/event-stream");
  ASSERT_EQ(w.chunks.size(), 1u);
  EXPECT_TRUE(w.ended);
}

TEST(ResponseWriter, FailedWriteMeansClientGone) {
  RecordingWriter w;
  w.fail_writes = true;
  bool ok = run_coro([&]() -> asio::awaitable<bool> { co_return co_await w.send(Response{}); }());
  EXPECT_FALSE(ok);
  EXPECT_TRUE(w.client_gone());
  EXPECT_FALSE(w.completed());
}

}  // namespace
}  // namespace sl::api
