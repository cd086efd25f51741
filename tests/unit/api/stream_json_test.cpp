#include "api/stream_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace sl::api {
namespace {
namespace json = boost::json;

Result<StreamOptions> parse(const char* text, StreamDefaults d = {}) {
  return parse_create_stream(json::parse(text).as_object(), d);
}

void expect_param(const char* text, const std::string& param,
                  ErrorCode code = ErrorCode::invalid_request) {
  SCOPED_TRACE(text);
  auto r = parse(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, code);
  EXPECT_EQ(r.error().param, param);
}

TEST(CreateStreamBody, UrlSourceAndAliases) {
  for (const char* type : {"url", "rtsp", "hls"}) {
    std::string body = std::string(R"({"source":{"type":")") + type +
                       R"(","url":"rtsp://cam/x"}})";
    auto r = parse(body.c_str());
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(std::holds_alternative<UrlSourceSpec>(r->source));
    EXPECT_EQ(std::get<UrlSourceSpec>(r->source).url, "rtsp://cam/x");
  }
}

TEST(CreateStreamBody, TestPatternDefaultsAndValues) {
  auto d = parse(R"({"source":{"type":"test_pattern"}})");
  ASSERT_TRUE(d.ok());
  const auto& dt = std::get<TestPatternSpec>(d->source);
  EXPECT_EQ(dt.width, 640);
  EXPECT_EQ(dt.height, 360);
  EXPECT_DOUBLE_EQ(dt.fps, 30.0);
  auto v = parse(R"({"source":{"type":"test_pattern","width":320,"height":240.0,"fps":12.5}})");
  ASSERT_TRUE(v.ok());
  const auto& vt = std::get<TestPatternSpec>(v->source);
  EXPECT_EQ(vt.width, 320);
  EXPECT_EQ(vt.height, 240);
  EXPECT_DOUBLE_EQ(vt.fps, 12.5);
}

TEST(CreateStreamBody, DefaultsFromOperator) {
  auto r = parse(R"({"source":{"type":"test_pattern"}})", StreamDefaults{90, 45, {}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->retention_seconds, 90);
  EXPECT_TRUE(r->lease);
  EXPECT_EQ(r->ttl_seconds, 45);
}

TEST(CreateStreamBody, LeaseForms) {
  auto off = parse(R"({"source":{"type":"test_pattern"},"lease":false})");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->lease);
  auto ttl = parse(R"({"source":{"type":"test_pattern"},"lease":{"ttl_seconds":7}})");
  ASSERT_TRUE(ttl.ok());
  EXPECT_TRUE(ttl->lease);
  EXPECT_EQ(ttl->ttl_seconds, 7);
}

TEST(CreateStreamBody, OptionalFields) {
  auto r = parse(R"({"source":{"type":"test_pattern"},"name":"cam","retention_seconds":120,
                    "processing":{"mode":"frame"},"inference":{"prompt":"hi"}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->name, "cam");
  EXPECT_EQ(r->retention_seconds, 120);
  EXPECT_EQ(json::parse(r->processing_json).at("mode").as_string(), "frame");
  EXPECT_EQ(json::parse(r->inference_json).at("prompt").as_string(), "hi");
}

TEST(CreateStreamBody, ErrorsNameTheField) {
  expect_param(R"({})", "source");
  expect_param(R"({"source":null})", "source");
  expect_param(R"({"source":"rtsp://x"})", "source");
  expect_param(R"({"source":{}})", "source.type");
  expect_param(R"({"source":{"type":5}})", "source.type");
  expect_param(R"({"source":{"type":"carrier_pigeon"}})", "source.type");
  expect_param(R"({"source":{"type":"url"}})", "source.url");
  expect_param(R"({"source":{"type":"url","url":42}})", "source.url");
  expect_param(R"({"source":{"type":"url","url":""}})", "source.url");
  expect_param(R"({"source":{"type":"url","url":"x","extra":1}})", "source.extra");
  expect_param(R"({"source":{"type":"test_pattern","width":"big"}})", "source.width");
  expect_param(R"({"source":{"type":"test_pattern","width":0}})", "source.width");
  expect_param(R"({"source":{"type":"test_pattern","height":-1}})", "source.height");
  expect_param(R"({"source":{"type":"test_pattern","width":1.5}})", "source.width");
  expect_param(R"({"source":{"type":"test_pattern","fps":0}})", "source.fps");
  expect_param(R"({"source":{"type":"test_pattern","fps":"x"}})", "source.fps");
  expect_param(R"({"source":{"type":"test_pattern"},"retention_seconds":"long"})", "retention_seconds");
  expect_param(R"({"source":{"type":"test_pattern"},"retention_seconds":-5})", "retention_seconds");
  expect_param(R"({"source":{"type":"test_pattern"},"name":5})", "name");
  expect_param(R"({"source":{"type":"test_pattern"},"lease":"yes"})", "lease");
  expect_param(R"({"source":{"type":"test_pattern"},"lease":{"ttl_seconds":-1}})", "lease.ttl_seconds");
  expect_param(R"({"source":{"type":"test_pattern"},"lease":{"ttl_seconds":"x"}})", "lease.ttl_seconds");
  expect_param(R"({"source":{"type":"test_pattern"},"processing":[]})", "processing");
  // The job is checked at creation (jobs/job_spec.hpp): 422 naming the field.
  expect_param(R"({"source":{"type":"test_pattern"},"processing":{"target_fps":99},
                  "inference":{"prompt":"p"}})",
               "processing.target_fps", ErrorCode::invalid_value);
  expect_param(R"({"source":{"type":"test_pattern"},"processing":{"mode":"frame"}})",
               "inference.prompt", ErrorCode::invalid_value);
  expect_param(R"({"source":{"type":"test_pattern"},"bogus":1})", "bogus");
}

TEST(CreateStreamBody, NegotiatingSourcesParse) {
  auto w = parse(R"({"source":{"type":"webrtc","sdp":"v=0\r\n"}})");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(std::get<WebRtcSourceSpec>(w->source).offer_sdp, "v=0\r\n");
  expect_param(R"({"source":{"type":"webrtc"}})", "source.sdp");
  expect_param(R"({"source":{"type":"webrtc","sdp":7}})", "source.sdp");
  auto p = parse(R"({"source":{"type":"whip"}})");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(std::holds_alternative<WhipSourceSpec>(p->source));
  expect_param(R"({"source":{"type":"whip","url":"x"}})", "source.url");
}

TEST(CreateStreamBody, PushSourcesAreUnsupported) {
  expect_param(R"({"source":{"type":"push"}})", "source.type", ErrorCode::unsupported);
}

TEST(StreamJson, AllFieldsWithNullsWhileEmpty) {
  StreamStatus s;
  s.id = "abc";
  s.state = "connecting";
  s.source = UrlSourceSpec{"rtsp://admin:hunter2@cam/x"};
  s.created_at_ms = 1000;
  s.retention_seconds = 600;
  s.lease = true;
  s.ttl_seconds = 300;
  s.expires_at_ms = 301000;
  auto o = stream_to_json(s);
  for (const char* k : {"object", "id", "stream_id", "state", "end_reason", "last_error", "source",
                        "name", "created_at_ms", "first_frame_at_ms", "last_frame_at_ms",
                        "stream_time_ms", "last_frame_index", "first_available_frame_index",
                        "recent_fps", "width", "height", "retained_frame_count",
                        "evicted_frame_count", "retention_seconds", "ttl_seconds",
                        "expires_at_ms", "lease"})
    EXPECT_TRUE(o.contains(k)) << k;
  EXPECT_EQ(o.at("object").as_string(), "stream");
  EXPECT_EQ(o.at("stream_id").as_string(), "abc");
  EXPECT_TRUE(o.at("end_reason").is_null());
  EXPECT_TRUE(o.at("last_error").is_null());
  EXPECT_TRUE(o.at("first_frame_at_ms").is_null());
  EXPECT_TRUE(o.at("last_frame_index").is_null());
  EXPECT_TRUE(o.at("first_available_frame_index").is_null());
  EXPECT_EQ(o.at("source").at("url").as_string(), "rtsp://cam/x");
  EXPECT_EQ(o.at("ttl_seconds").as_int64(), 300);
  EXPECT_TRUE(o.at("lease").as_bool());
}

TEST(StreamJson, LiveValuesAndTestPatternSource) {
  StreamStatus s;
  s.id = "demo";
  s.state = "ended";
  s.end_reason = "deleted";
  s.last_error = "boom";
  s.source = TestPatternSpec{};
  s.first_frame_at_ms = 5;
  s.last_frame_index = 41;
  s.first_available_frame_index = 0;
  s.width = 640;
  s.height = 360;
  auto o = stream_to_json(s);
  EXPECT_EQ(o.at("end_reason").as_string(), "deleted");
  EXPECT_EQ(o.at("last_error").as_string(), "boom");
  EXPECT_EQ(o.at("last_frame_index").as_int64(), 41);
  EXPECT_EQ(o.at("first_available_frame_index").as_int64(), 0);
  EXPECT_EQ(o.at("source").at("width").as_int64(), 640);
  EXPECT_EQ(o.at("source").at("fps").as_int64(), 30);
  std::get<TestPatternSpec>(s.source).fps = 12.5;
  EXPECT_DOUBLE_EQ(stream_to_json(s).at("source").at("fps").as_double(), 12.5);
  EXPECT_FALSE(o.at("source").as_object().contains("url"));
  EXPECT_TRUE(o.at("ttl_seconds").is_null());
  EXPECT_TRUE(o.at("expires_at_ms").is_null());
}

TEST(StreamJson, Keepalive) {
  auto o = keepalive_to_json(KeepaliveResult{"s", 10, 300, 5});
  EXPECT_EQ(o.size(), 4u);
  EXPECT_EQ(o.at("expires_at_ms").as_int64(), 10);
}

TEST(StreamJson, WebRtcAnswerOnlyWhenCreated) {
  StreamStatus s;
  s.id = "cam";
  s.state = "connecting";
  s.source = WebRtcSourceSpec{"offer"};
  EXPECT_FALSE(stream_to_json(s).contains("webrtc"));
  s.answer = SdpAnswer{"v=0 answer", "sess"};
  auto o = stream_to_json(s);
  EXPECT_EQ(o.at("webrtc").at("type").as_string(), "answer");
  EXPECT_EQ(o.at("webrtc").at("sdp").as_string(), "v=0 answer");
  EXPECT_EQ(o.at("source").at("type").as_string(), "webrtc");
  EXPECT_FALSE(o.at("source").as_object().contains("sdp"));  // the offer is not echoed
}

}  // namespace
}  // namespace sl::api
