// The streams handlers against a real StreamManager (test_pattern sources only, so nothing
// leaves the process). Frame rendering of live frames is covered end to end; here the frame
// endpoint's error paths, which are deterministic.
#include "api/stream_handlers.hpp"

#include <gtest/gtest.h>

#include "api/api_pipeline.hpp"
#include "api_test_support.hpp"
#include "core/clock.hpp"
#include "fakes/fake_source.hpp"

namespace sl::api {
namespace {
using testing::make_request;
using testing::RecordingWriter;
using testing::run_coro;

// Real sources for the pull kinds; fakes for webrtc/whip, so GStreamer stays out of this binary.
SourceFactory sources_with_fake_webrtc(sl::testing::FakeSourceFactory& fakes) {
  return [real = default_source_factory({}), fake = fakes.factory()](
             const SourceSpec& spec, MediaSink& sink, const Clock& clock) {
    return negotiates(spec) ? fake(spec, sink, clock) : real(spec, sink, clock);
  };
}

struct StreamHandlersTest : ::testing::Test {
  SystemClock clock;
  Metrics metrics;
  sl::testing::FakeSourceFactory fakes;
  StreamManager streams{StreamsConfig{}, sources_with_fake_webrtc(fakes), clock, metrics};
  FrameRenderer renderer;
  MediaResolver media{streams, renderer};
  std::unique_ptr<ApiPipeline> pipeline;

  void SetUp() override {
    Router r;
    add_stream_routes(r, StreamRouteDeps{&streams, &media, StreamDefaults{120, 60, {}}, 512, {}, {}});
    pipeline = std::make_unique<ApiPipeline>(std::move(r), KeyRing({"sk-a", "sk-b"}),
                                             CorsPolicy(), metrics, clock);
  }
  void TearDown() override { streams.stop_all(); }

  RecordingWriter call(http::verb m, const std::string& target, const std::string& body = {},
                       const std::string& key = "sk-a") {
    auto req = make_request(m, target, body);
    req.message.set(http::field::authorization, "Bearer " + key);
    req.received_wall_ms = clock.wall_ms();
    RecordingWriter w;
    run_coro(pipeline->handle(req, w));
    return w;
  }

  std::string create() {
    auto w = call(http::verb::post, "/v1/streams",
                  R"({"source":{"type":"test_pattern","width":64,"height":64,"fps":5}})");
    EXPECT_EQ(w.status(), 201u) << w.response.body();
    return std::string(w.json().at("id").as_string());
  }
};

void expect_error(const RecordingWriter& w, unsigned status, const char* code,
                  const char* param = nullptr) {
  ASSERT_EQ(w.status(), status) << w.response.body();
  auto err = w.json().at("error");
  EXPECT_EQ(err.at("code").as_string(), code);
  if (param) {
    EXPECT_EQ(err.at("param").as_string(), param);
  }
}

TEST_F(StreamHandlersTest, CreateAppliesDefaultsAndReturnsTheObject) {
  auto w = call(http::verb::post, "/v1/streams",
                R"({"source":{"type":"test_pattern","width":64,"height":64,"fps":5},"name":"n"})");
  ASSERT_EQ(w.status(), 201u) << w.response.body();
  auto o = w.json().as_object();
  EXPECT_EQ(o.at("object").as_string(), "stream");
  EXPECT_EQ(o.at("id"), o.at("stream_id"));
  EXPECT_EQ(o.at("name").as_string(), "n");
  EXPECT_EQ(o.at("retention_seconds").as_int64(), 120);
  EXPECT_EQ(o.at("ttl_seconds").as_int64(), 60);
  EXPECT_EQ(w.header("Location"), "/v1/streams/" + std::string(o.at("id").as_string()));
}

TEST_F(StreamHandlersTest, CreateRejectsBadBodies) {
  expect_error(call(http::verb::post, "/v1/streams", "{\"source\":"), 400, "invalid_request");
  expect_error(call(http::verb::post, "/v1/streams", ""), 400, "invalid_request");
  expect_error(call(http::verb::post, "/v1/streams", R"({"source":{"type":"url","url":7}})"), 400,
               "invalid_request", "source.url");
  expect_error(call(http::verb::post, "/v1/streams", R"({"source":{"type":"webrtc"}})"), 400,
               "invalid_request", "source.sdp");
  // A kind this server has no source for: the factory's refusal, a clear 400.
  expect_error(call(http::verb::post, "/v1/streams", R"({"source":{"type":"push"}})"), 400,
               "unsupported", "source.type");
}

TEST_F(StreamHandlersTest, WhipStreamsCarryTheirPublishEndpoint) {
  auto w = call(http::verb::post, "/v1/streams", R"({"source":{"type":"whip"}})");
  ASSERT_EQ(w.status(), 201u) << w.response.body();
  auto o = w.json().as_object();
  const std::string id(o.at("id").as_string());
  auto publish = o.at("publish").as_object();
  EXPECT_EQ(publish.at("type").as_string(), "whip");
  // No Host header here: the URL is relative to the server.
  EXPECT_EQ(publish.at("url").as_string(), "/v1/streams/" + id + "/whip");
  EXPECT_GE(publish.at("token").as_string().size(), 32u);
  EXPECT_TRUE(o.at("ice_servers").as_array().empty());
  auto get = call(http::verb::get, "/v1/streams/" + id);
  EXPECT_EQ(get.json().at("publish"), o.at("publish"));
  // Other kinds have neither.
  auto tp = call(http::verb::get, "/v1/streams/" + create());
  EXPECT_FALSE(tp.json().as_object().contains("publish"));
  EXPECT_FALSE(tp.json().as_object().contains("ice_servers"));
}

TEST_F(StreamHandlersTest, GetListKeepaliveDelete) {
  std::string id = create();
  auto get = call(http::verb::get, "/v1/streams/" + id);
  ASSERT_EQ(get.status(), 200u);
  EXPECT_EQ(get.json().at("id").as_string(), id);

  auto list = call(http::verb::get, "/v1/streams");
  ASSERT_EQ(list.status(), 200u);
  EXPECT_EQ(list.json().at("object").as_string(), "list");
  EXPECT_EQ(list.json().at("data").as_array().size(), 1u);

  auto ka = call(http::verb::post, "/v1/streams/" + id + "/keepalive");
  ASSERT_EQ(ka.status(), 200u) << ka.response.body();
  EXPECT_EQ(ka.json().at("ttl_seconds").as_int64(), 60);

  auto del = call(http::verb::delete_, "/v1/streams/" + id);
  ASSERT_EQ(del.status(), 200u);
  EXPECT_EQ(del.json().at("end_reason").as_string(), "deleted");
  EXPECT_TRUE(del.json().at("deleted").as_bool());
  expect_error(call(http::verb::get, "/v1/streams/" + id), 404, "stream_not_found");
}

TEST_F(StreamHandlersTest, OtherKeysStreamsAreInvisible) {
  std::string id = create();
  expect_error(call(http::verb::get, "/v1/streams/" + id, "", "sk-b"), 404, "stream_not_found");
  expect_error(call(http::verb::delete_, "/v1/streams/" + id, "", "sk-b"), 404,
               "stream_not_found");
  expect_error(call(http::verb::get, "/v1/streams/" + id + "/frame", "", "sk-b"), 404,
               "stream_not_found");
  EXPECT_TRUE(call(http::verb::get, "/v1/streams", "", "sk-b").json().at("data").as_array().empty());
}

TEST_F(StreamHandlersTest, UnknownAndInvalidIdsAre404) {
  expect_error(call(http::verb::get, "/v1/streams/nope"), 404, "stream_not_found");
  expect_error(call(http::verb::post, "/v1/streams/nope/keepalive"), 404, "stream_not_found");
  expect_error(call(http::verb::get, "/v1/streams/%zz"), 404, "stream_not_found");
  expect_error(call(http::verb::get, "/v1/streams/" + std::string(65, 'a')), 404,
               "stream_not_found");
  expect_error(call(http::verb::get, "/v1/streams/nope/frame?frame_index=-1"), 404,
               "stream_not_found");
}

TEST_F(StreamHandlersTest, MalformedFrameQueriesAre422) {
  std::string id = create();
  for (const char* q : {"frame_index=abc", "%", "frame_index=1&frame_index=2", "bogus=1",
                        "frame_index=%zz"}) {
    SCOPED_TRACE(q);
    expect_error(call(http::verb::get, "/v1/streams/" + id + "/frame?" + q), 422,
                 "invalid_reference", "query");
  }
}

}  // namespace
}  // namespace sl::api
