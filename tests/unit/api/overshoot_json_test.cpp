#include "api/overshoot_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sl::api {
namespace {

namespace json = boost::json;

json::object obj(const char* text) { return json::parse(text).as_object(); }

TEST(OvershootCreate, LegacyOfferBecomesAWebrtcSource) {
  auto v1 = overshoot_create_to_v1(obj(R"({"webrtc":{"type":"offer","sdp":"v=0"},
      "processing":{"fps":30,"sampling_ratio":0.1},"inference":{"prompt":"p","backend":"overshoot"}})"));
  ASSERT_TRUE(v1.ok()) << v1.error().message;
  EXPECT_EQ(json::serialize(v1->at("source")), R"({"type":"webrtc","sdp":"v=0"})");
  EXPECT_EQ(v1->at("processing").at("fps").as_int64(), 30);
  EXPECT_EQ(v1->at("inference").at("prompt").as_string(), "p");
  EXPECT_FALSE(v1->contains("webrtc"));
}

TEST(OvershootCreate, SourceShapeMovesModeIntoProcessing) {
  auto v1 = overshoot_create_to_v1(obj(R"({"source":{"type":"webrtc","sdp":"v=0"},"mode":"frame",
      "processing":{"interval_seconds":0.5},"inference":{"prompt":"p"},"client":"x"})"));
  ASSERT_TRUE(v1.ok()) << v1.error().message;
  EXPECT_EQ(v1->at("processing").at("mode").as_string(), "frame");
  EXPECT_EQ(v1->at("processing").at("interval_seconds").as_double(), 0.5);
  EXPECT_FALSE(v1->contains("client"));  // unknown top-level keys are ignored
  EXPECT_FALSE(v1->contains("mode"));

  auto only_mode = overshoot_create_to_v1(obj(R"({"source":{"type":"whip"},"mode":"clip"})"));
  ASSERT_TRUE(only_mode.ok());
  EXPECT_EQ(only_mode->at("processing").at("mode").as_string(), "clip");
  auto neither = overshoot_create_to_v1(obj(R"({"source":{"type":"whip"}})"));
  ASSERT_TRUE(neither.ok());
  EXPECT_FALSE(neither->contains("processing"));
}

TEST(OvershootCreate, SightlineFieldsPassThrough) {
  auto v1 = overshoot_create_to_v1(
      obj(R"({"source":{"type":"test_pattern"},"lease":{"ttl_seconds":30},"name":"n","retention_seconds":5})"));
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->at("lease").at("ttl_seconds").as_int64(), 30);
  EXPECT_EQ(v1->at("name").as_string(), "n");
  EXPECT_EQ(v1->at("retention_seconds").as_int64(), 5);
}

TEST(OvershootCreate, ErrorsNameTheField) {
  struct Case {
    const char* body;
    const char* param;
  } cases[] = {
      {R"({})", "source"},
      {R"({"source":{"type":"webrtc","sdp":"x"},"webrtc":{"type":"offer","sdp":"x"}})", "webrtc"},
      {R"({"webrtc":"v=0"})", "webrtc"},
      {R"({"webrtc":{"type":"answer","sdp":"x"}})", "webrtc.type"},
      {R"({"webrtc":{"type":"offer"}})", "webrtc.sdp"},
      {R"({"webrtc":{"type":"offer","sdp":""}})", "webrtc.sdp"},
      {R"({"webrtc":{"type":"offer","sdp":5}})", "webrtc.sdp"},
      {R"({"webrtc":{"sdp":"x"},"processing":[]})", "processing"},
      {R"({"webrtc":{"sdp":"x"},"mode":1})", "mode"},
      {R"({"webrtc":{"sdp":"x"},"mode":"frame","processing":{"mode":"clip"}})", "mode"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = overshoot_create_to_v1(obj(c.body));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
    EXPECT_EQ(r.error().param, c.param);
  }
}

TEST(OvershootCreated, AnswerAndLease) {
  StreamStatus s;
  s.id = "s1";
  s.state = "connecting";
  s.lease = true;
  s.ttl_seconds = 300;
  s.expires_at_ms = 1234;
  s.answer = SdpAnswer{};
  s.answer->sdp = "v=0 answer";
  auto o = overshoot_created_json(s);
  EXPECT_EQ(o.at("stream_id").as_string(), "s1");
  EXPECT_EQ(o.at("webrtc").at("type").as_string(), "answer");
  EXPECT_EQ(o.at("webrtc").at("sdp").as_string(), "v=0 answer");
  EXPECT_EQ(o.at("lease").at("ttl_seconds").as_int64(), 300);
  s.lease = false;
  s.ttl_seconds.reset();
  s.answer.reset();
  auto no_lease = overshoot_created_json(s);
  EXPECT_TRUE(no_lease.at("lease").is_null());
  EXPECT_FALSE(no_lease.contains("webrtc"));
}

TEST(OvershootModels, ReadyFollowsStatus) {
  std::vector<ModelInfo> models;
  for (const char* st : {"ready", "degraded", "saturated", "unavailable"}) {
    ModelInfo m;
    m.id = std::string("m-") + st;
    m.health.status = st;
    models.push_back(m);
  }
  auto a = overshoot_models_json(models);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].at("model").as_string(), "m-ready");
  EXPECT_TRUE(a[0].at("ready").as_bool());
  EXPECT_TRUE(a[1].at("ready").as_bool());
  EXPECT_FALSE(a[2].at("ready").as_bool());
  EXPECT_FALSE(a[3].at("ready").as_bool());
  EXPECT_EQ(a[2].at("status").as_string(), "saturated");
}

}  // namespace
}  // namespace sl::api
