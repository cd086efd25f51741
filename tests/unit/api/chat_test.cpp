// The chat-completions route and the request walker, against a real StreamManager with a
// test_pattern stream and a FakeBackend (no sockets). The wire behaviour (official SDKs, real
// upstream over HTTP) is covered end to end in tests/e2e/chat.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/api_pipeline.hpp"
#include "api/chat_handlers.hpp"
#include "api/chat_media.hpp"
#include "api_test_support.hpp"
#include "core/base64.hpp"
#include "core/clock.hpp"
#include "fakes/fake_backend.hpp"
#include "streams/stream_manager.hpp"

namespace sl::api {
namespace {
namespace json = boost::json;
using testing::make_request;
using testing::RecordingWriter;
using testing::run_coro;

json::object body_of(const std::string& text) { return json::parse(text).as_object(); }

TEST(ChatRequest, OvsPartsBecomePlaceholdersAndOthersStay) {
  auto parsed = parse_chat_request(body_of(R"({"model":"m","messages":[
      {"role":"system","content":"be brief"},
      {"role":"user","content":[
         {"type":"text","text":"what?"},
         {"type":"image_url","image_url":{"url":"ovs://streams/cam1?frame_index=-1"}},
         {"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}},
         {"type":"video_url","video_url":{"url":"ovs://streams/cam2?start_offset_ms=-5000&max_fps=2"}}]}]})"),
                                   ChatLimits{}, false);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->refs.size(), 2u);
  EXPECT_EQ(parsed->refs[0].ref.stream_id, "cam1");
  EXPECT_EQ(parsed->refs[1].ref.kind, RefKind::video);
  EXPECT_EQ(parsed->refs[1].param, "messages[1].content[3].video_url.url");
  const auto& parts = parsed->body.at("messages").as_array()[1].at("content").as_array();
  EXPECT_EQ(parts[1].at("type"), "ovs_media");
  EXPECT_EQ(parts[1].at("index"), 0);
  EXPECT_EQ(parts[2].at("image_url").at("url"), "https://example.com/a.jpg");
  EXPECT_EQ(parts[3].at("index"), 1);
  EXPECT_EQ(parsed->body.at("messages").as_array()[0].at("content"), "be brief");
}

TEST(ChatRequest, ErrorsNameTheJsonPath) {
  struct Case {
    const char* body;
    ErrorCode code;
    const char* param;
  };
  const Case cases[] = {
      {R"({"messages":[{"role":"user","content":"x"}]})", ErrorCode::invalid_request, "model"},
      {R"({"model":"m"})", ErrorCode::invalid_request, "messages"},
      {R"({"model":"m","messages":[]})", ErrorCode::invalid_request, "messages"},
      {R"({"model":"m","messages":[{"role":"robot","content":"x"}]})", ErrorCode::invalid_request,
       "messages[0].role"},
      {R"({"model":"m","messages":[{"role":"user","content":5}]})", ErrorCode::invalid_request,
       "messages[0].content"},
      {R"({"model":"m","messages":[{"role":"user","content":[7]}]})", ErrorCode::invalid_request,
       "messages[0].content[0]"},
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]})",
       ErrorCode::invalid_request, "messages[0].content[0].image_url"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":[
          {"type":"text","text":"a"},
          {"type":"image_url","image_url":{"url":"ovs://streams/c?start_frame_index=1"}}]}]})",
       ErrorCode::invalid_reference, "messages[1].content[1].image_url.url"},
      {R"({"model":"m","stream":"yes","messages":[{"role":"user","content":"x"}]})",
       ErrorCode::invalid_request, "stream"},
      {R"({"model":"m","n":0,"messages":[{"role":"user","content":"x"}]})",
       ErrorCode::invalid_request, "n"},
  };
  for (const auto& c : cases) {
    auto r = parse_chat_request(body_of(c.body), ChatLimits{}, false);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().code, c.code) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
  }
}

TEST(ChatRequest, LimitsOnDataUrlsAndReferenceCount) {
  ChatLimits limits;
  limits.max_data_url_bytes = 64;
  limits.max_refs = 1;
  auto big = parse_chat_request(
      body_of(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url",
          "image_url":{"url":"data:image/jpeg;base64,)" + std::string(100, 'A') + R"("}}]}]})"),
      limits, false);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::payload_too_large);
  EXPECT_EQ(big.error().param, "messages[0].content[0].image_url.url");
  auto many = parse_chat_request(body_of(R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"ovs://streams/a?frame_index=1"}},
      {"type":"image_url","image_url":{"url":"ovs://streams/a?frame_index=2"}}]}]})"),
                                 limits, false);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().param, "messages[0].content[1].image_url.url");
}

TEST(ChatRequest, VideoUrlsAreFetchedOnlyForBackendsWithoutVideo) {
  const char* text = R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"video_url","video_url":{"url":"https://example.com/v.mp4"}},
      {"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}}]}]})";
  auto native = parse_chat_request(body_of(text), ChatLimits{}, false);
  ASSERT_TRUE(native.ok());
  EXPECT_TRUE(native->refs.empty());
  auto frames = parse_chat_request(body_of(text), ChatLimits{}, true);
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->refs.size(), 1u);
  EXPECT_TRUE(frames->refs[0].remote_video);
  EXPECT_EQ(frames->refs[0].url, "https://example.com/v.mp4");
}

struct ChatRouteTest : ::testing::Test {
  SystemClock clock;
  Metrics metrics;
  StreamManager streams{StreamsConfig{}, default_source_factory({}), clock, metrics};
  FrameRenderer renderer;
  MediaResolver media{streams, renderer};
  ModelRouter models;
  std::shared_ptr<sl::testing::FakeBackend> backend =
      std::make_shared<sl::testing::FakeBackend>("fake");
  std::unique_ptr<ApiPipeline> pipeline;

  void SetUp() override {
    ASSERT_TRUE(models.add(backend).ok());
    Router r;
    add_chat_routes(r, ChatRouteDeps{&media, &models, ChatLimits{}, nullptr, {}});
    pipeline = std::make_unique<ApiPipeline>(std::move(r), KeyRing({"sk-a", "sk-b"}),
                                             CorsPolicy(), metrics, clock);
    StreamOptions o;
    o.source = TestPatternSpec{.width = 64, .height = 64};
    o.lease = false;
    auto owner = KeyRing({"sk-a"}).authenticate("Bearer sk-a");
    ASSERT_TRUE(owner.ok());
    ASSERT_TRUE(streams.create(*owner, o, "cam").ok());
    for (int i = 0; i < 500; ++i) {
      auto st = streams.status(*owner, "cam");
      if (st.ok() && st->last_frame_index.value_or(-1) >= 5) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void TearDown() override { streams.stop_all(); }

  RecordingWriter post(const std::string& body, const std::string& key = "sk-a",
                       bool client_gone = false) {
    auto req = make_request(http::verb::post, "/v1/chat/completions", body);
    req.message.set(http::field::authorization, "Bearer " + key);
    req.received_wall_ms = clock.wall_ms();
    RecordingWriter w;
    w.fail_writes = client_gone;
    run_coro(pipeline->handle(req, w));
    return w;
  }
};

constexpr const char* kFrameRequest = R"({"model":"fake","messages":[{"role":"user","content":[
    {"type":"text","text":"what is this?"},
    {"type":"image_url","image_url":{"url":"ovs://streams/cam?frame_index=2"}}]}]})";

TEST_F(ChatRouteTest, CompletionCarriesOvsMediaAndTheFrame) {
  auto w = post(kFrameRequest);
  ASSERT_EQ(w.response.result_int(), 200) << w.response.body();
  auto out = w.json().as_object();
  const auto& media = out.at("ovs_media").as_array();
  ASSERT_EQ(media.size(), 1u);
  EXPECT_EQ(media[0].at("frame_indices").at("first"), 2);
  EXPECT_EQ(media[0].at("frame_indices").at("count"), 1);
  EXPECT_EQ(media[0].at("clamped"), false);
  ASSERT_EQ(backend->calls.size(), 1u);
  ASSERT_EQ(backend->calls[0].media.size(), 1u);
  EXPECT_EQ(backend->calls[0].media[0].frames[0].index, 2);
  EXPECT_TRUE(backend->calls[0].media[0].frames[0].jpeg);
}

TEST_F(ChatRouteTest, BackendsThatWantPicturesGetDecodedPicturesAndDecodedUploads) {
  auto engine_like = std::make_shared<sl::testing::FakeBackend>("pic");
  engine_like->pictures = true;
  ASSERT_TRUE(models.add(engine_like).ok());
  // A JPEG of the stream, sent back as a data: URL, and a PNG-ish one the server cannot decode.
  ASSERT_EQ(post(kFrameRequest).response.result_int(), 200);
  const SharedBytes jpeg = backend->calls.at(0).media.at(0).frames.at(0).jpeg;
  ASSERT_TRUE(jpeg);
  const std::string data_url = "data:image/jpeg;base64," + base64_encode(*jpeg);
  auto w = post(R"({"model":"pic","messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"ovs://streams/cam?frame_index=2"}},
      {"type":"image_url","image_url":{"url":")" + data_url + R"("}}]}]})");
  ASSERT_EQ(w.response.result_int(), 200) << w.response.body();
  ASSERT_EQ(engine_like->calls.size(), 1u);
  const ChatCall& call = engine_like->calls[0];
  ASSERT_EQ(call.media.size(), 2u);
  const MediaFrame& frame = call.media[0].frames.at(0);
  EXPECT_EQ(call.media[0].stream_id, "cam");
  EXPECT_EQ(frame.index, 2);
  EXPECT_TRUE(frame.picture.valid());  // no JPEG round trip
  EXPECT_EQ(frame.picture.width, 64);
  EXPECT_TRUE(call.media[1].frames.at(0).picture.valid());
  EXPECT_EQ(call.media[1].stream_id, "");
  EXPECT_EQ(json::serialize(call.body.at("messages").at(0).at("content").at(1)),
            R"({"type":"ovs_media","index":1})");

  auto bad = post(R"({"model":"pic","messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]})");
  EXPECT_EQ(bad.response.result_int(), 400) << bad.response.body();
  EXPECT_NE(bad.response.body().find("messages[0].content[0].image_url.url"), std::string::npos);
}

TEST_F(ChatRouteTest, UnknownModelAndOtherKeysStream) {
  auto w = post(R"({"model":"nope","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(w.response.result_int(), 404);
  EXPECT_EQ(w.json().at("error").at("code"), "model_not_found");
  w = post(kFrameRequest, "sk-b");
  EXPECT_EQ(w.response.result_int(), 404);
  EXPECT_EQ(w.json().at("error").at("code"), "stream_not_found");
  EXPECT_EQ(w.json().at("error").at("param"), "messages[0].content[1].image_url.url");
  EXPECT_TRUE(backend->calls.empty());
}

TEST_F(ChatRouteTest, StreamRelaysChunksWithOvsMediaOnTheFinalOne) {
  backend->chunks = {
      json::parse(R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]})").as_object(),
      json::parse(R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})").as_object()};
  std::string body = kFrameRequest;
  body.insert(1, R"("stream":true,)");
  auto w = post(body);
  ASSERT_EQ(w.response.result_int(), 200);
  EXPECT_EQ(w.header("Content-Type"), "text/event-stream");
  ASSERT_EQ(w.chunks.size(), 3u);
  EXPECT_EQ(w.chunks[0].find("ovs_media"), std::string::npos);
  EXPECT_NE(w.chunks[1].find("\"finish_reason\":\"stop\""), std::string::npos);
  EXPECT_NE(w.chunks[1].find("\"ovs_media\""), std::string::npos);
  EXPECT_EQ(w.chunks[2], "data: [DONE]\n\n");
  EXPECT_TRUE(w.ended);
}

TEST_F(ChatRouteTest, UpstreamFailureBeforeFirstChunkIsAJsonError) {
  backend->fail = make_error(ErrorCode::upstream_unavailable, "connection refused");
  std::string body = kFrameRequest;
  body.insert(1, R"("stream":true,)");
  auto w = post(body);
  EXPECT_EQ(w.response.result_int(), 503);
  EXPECT_EQ(w.json().at("error").at("code"), "upstream_unavailable");
}

TEST_F(ChatRouteTest, GoneClientStopsTheUpstream) {
  backend->chunks.assign(5, json::parse(R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]})").as_object());
  std::string body = kFrameRequest;
  body.insert(1, R"("stream":true,)");
  post(body, "sk-a", /*client_gone=*/true);
  EXPECT_TRUE(backend->sink_refused);
}

}  // namespace
}  // namespace sl::api
