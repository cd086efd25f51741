#include "api/error_response.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace sl::api {
namespace {

struct Row {
  ErrorCode code;
  unsigned status;
  const char* type;
  const char* wire;
};

TEST(ErrorTable, StatusTypeAndCodeForEveryErrorCode) {
  const Row rows[] = {
      {ErrorCode::invalid_request, 400, "invalid_request_error", "invalid_request"},
      {ErrorCode::invalid_reference, 422, "invalid_request_error", "invalid_reference"},
      {ErrorCode::unauthorized, 401, "authentication_error", "invalid_api_key"},
      {ErrorCode::not_found, 404, "not_found_error", "not_found"},
      {ErrorCode::stream_not_found, 404, "not_found_error", "stream_not_found"},
      {ErrorCode::stream_not_ready, 409, "invalid_request_error", "stream_not_ready"},
      {ErrorCode::frame_not_available, 422, "invalid_request_error", "frame_not_available"},
      {ErrorCode::frame_not_found, 404, "not_found_error", "frame_not_found"},
      {ErrorCode::segment_empty, 422, "invalid_request_error", "segment_empty"},
      {ErrorCode::model_not_found, 404, "not_found_error", "model_not_found"},
      {ErrorCode::too_many_streams, 429, "rate_limit_error", "too_many_streams"},
      {ErrorCode::rate_limited, 429, "rate_limit_error", "rate_limit_exceeded"},
      {ErrorCode::quota_exceeded, 429, "rate_limit_error", "quota_exceeded"},
      {ErrorCode::permission_denied, 403, "permission_error", "permission_denied"},
      {ErrorCode::payload_too_large, 413, "invalid_request_error", "payload_too_large"},
      {ErrorCode::unsupported, 400, "invalid_request_error", "unsupported"},
      {ErrorCode::source_error, 502, "server_error", "source_error"},
      {ErrorCode::upstream_error, 502, "server_error", "upstream_error"},
      {ErrorCode::upstream_unavailable, 503, "server_error", "upstream_unavailable"},
      {ErrorCode::upstream_timeout, 504, "server_error", "upstream_timeout"},
      {ErrorCode::cancelled, 499, "server_error", "cancelled"},
      {ErrorCode::internal, 500, "server_error", "internal_error"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.wire);
    auto h = error_http(row.code);
    EXPECT_EQ(h.status, row.status);
    EXPECT_EQ(h.type, row.type);
    auto res = error_response(make_error(row.code, "msg", "p"));
    EXPECT_EQ(res.result_int(), row.status);
    auto body = boost::json::parse(res.body()).as_object();
    EXPECT_EQ(body.at("error").at("code").as_string(), row.wire);
  }
}

TEST(ErrorEnvelope, HasExactlyTheOpenAiShape) {
  auto res = error_response(make_error(ErrorCode::invalid_reference, "bad ref", "query"));
  EXPECT_EQ(res[http::field::content_type], "application/json");
  auto body = boost::json::parse(res.body()).as_object();
  ASSERT_EQ(body.size(), 1u);
  auto err = body.at("error").as_object();
  EXPECT_EQ(err.size(), 4u);
  EXPECT_EQ(err.at("message").as_string(), "bad ref");
  EXPECT_EQ(err.at("type").as_string(), "invalid_request_error");
  EXPECT_EQ(err.at("param").as_string(), "query");
  EXPECT_EQ(err.at("code").as_string(), "invalid_reference");
}

TEST(ErrorEnvelope, EmptyParamIsNull) {
  auto res = error_response(make_error(ErrorCode::not_found, "nope"));
  auto err = boost::json::parse(res.body()).at("error");
  EXPECT_TRUE(err.at("param").is_null());
}

TEST(ErrorEnvelope, ExplicitStatusForHttpLevelErrors) {
  auto res = error_response(405, "invalid_request_error", "method_not_allowed", "no");
  EXPECT_EQ(res.result_int(), 405u);
  auto err = boost::json::parse(res.body()).at("error");
  EXPECT_EQ(err.at("code").as_string(), "method_not_allowed");
}

Request request_at(const std::string& path) {
  Request req;
  req.path = path;
  req.request_id = "req_abc";
  return req;
}

TEST(ErrorShape, ChosenByPathPrefix) {
  EXPECT_EQ(error_shape_for_path("/v0.2/streams"), ErrorShape::overshoot);
  EXPECT_EQ(error_shape_for_path("/v0.2/ws/streams/x"), ErrorShape::overshoot);
  EXPECT_EQ(error_shape_for_path("/v0.2"), ErrorShape::overshoot);
  EXPECT_EQ(error_shape_for_path("/v0.20/streams"), ErrorShape::openai);
  EXPECT_EQ(error_shape_for_path("/v1/streams"), ErrorShape::openai);
  EXPECT_EQ(error_shape_for_path("/healthz"), ErrorShape::openai);
}

TEST(ErrorShape, OvershootBodyUnderV02) {
  auto res = error_response_for(request_at("/v0.2/streams"),
                                make_error(ErrorCode::invalid_value, "too fast", "processing.fps"));
  EXPECT_EQ(res.result_int(), 422u);
  auto body = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(body.size(), 4u);
  EXPECT_EQ(body.at("error").as_string(), "invalid_value");
  EXPECT_EQ(body.at("message").as_string(), "too fast");
  EXPECT_EQ(body.at("request_id").as_string(), "req_abc");
  EXPECT_EQ(body.at("details").at("param").as_string(), "processing.fps");

  auto unauth = error_response_for(request_at("/v0.2/streams/s1/keepalive"),
                                   make_error(ErrorCode::unauthorized, "bad key"));
  EXPECT_EQ(unauth.result_int(), 401u);
  auto u = boost::json::parse(unauth.body()).as_object();
  EXPECT_EQ(u.at("error").as_string(), "invalid_api_key");
  EXPECT_TRUE(u.at("details").is_null());
}

TEST(ErrorShape, OpenAiEnvelopeElsewhere) {
  auto res = error_response_for(request_at("/v1/streams/x"),
                                make_error(ErrorCode::stream_not_found, "no such stream"));
  EXPECT_EQ(res.result_int(), 404u);
  auto err = boost::json::parse(res.body()).at("error");
  EXPECT_EQ(err.at("code").as_string(), "stream_not_found");
  EXPECT_EQ(err.at("type").as_string(), "not_found_error");
}

TEST(ErrorShape, ExplicitStatusInEitherShape) {
  auto res = error_response_for(request_at("/v0.2/streams"), 405, "invalid_request_error",
                                "method_not_allowed", "no");
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(boost::json::parse(res.body()).at("error").as_string(), "method_not_allowed");
}

TEST(ParseJsonObject, AcceptsObjects) {
  auto r = parse_json_object(R"({"a": 1})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("a").as_int64(), 1);
}

TEST(ParseJsonObject, MalformedSaysWhere) {
  auto r = parse_json_object(R"({"source": )");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("at byte"), std::string::npos) << r.error().message;
}

TEST(ParseJsonObject, RejectsNonObjectsEmptyAndTrailingData) {
  for (const char* text : {"", "[]", "null", "not json", "{} trailing", "{\"a\":1}{}"}) {
    SCOPED_TRACE(text);
    auto r = parse_json_object(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  }
}

}  // namespace
}  // namespace sl::api
