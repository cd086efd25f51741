#include "backends/upstream_format.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "media/mp4_mux.hpp"
#include "test_jpegs.hpp"

namespace sl {
namespace {

namespace json = boost::json;
using testing::make_test_frame;

std::string jpeg_url(const MediaFrame& f) {
  return "data:image/jpeg;base64," + base64_encode(*f.jpeg);
}

// A request with: text, an ovs image (media 0), an http image, an ovs video (media 1).
ChatCall sample_call() {
  ChatCall call;
  call.body = json::parse(R"({
    "model": "qwen",
    "temperature": 0.2, "seed": 7, "max_tokens": 64, "n": 1, "stop": ["\n\n"],
    "response_format": {"type": "json_object"},
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
    "tool_choice": "auto",
    "messages": [
      {"role": "system", "content": "You watch cameras."},
      {"role": "user", "content": [
        {"type": "text", "text": "What changed?"},
        {"type": "ovs_media", "index": 0},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg", "detail": "low"}},
        {"type": "ovs_media", "index": 1}
      ]}
    ]})").as_object();
  call.media.push_back(ResolvedMedia{false, {make_test_frame(41, 12'549)}});
  call.media.push_back(ResolvedMedia{
      true, {make_test_frame(50, 12'500), make_test_frame(55, 13'000), make_test_frame(60, 13'550)}});
  return call;
}

TEST(FrameTime, OneDecimalRoundedHalfUp) {
  EXPECT_EQ(format_frame_time(12'500), "t=12.5s");
  EXPECT_EQ(format_frame_time(12'549), "t=12.5s");
  EXPECT_EQ(format_frame_time(12'550), "t=12.6s");
  EXPECT_EQ(format_frame_time(0), "t=0.0s");
  EXPECT_EQ(format_frame_time(999'999), "t=1000.0s");
  EXPECT_EQ(format_frame_time(-1'250), "t=-1.3s");
}

TEST(UpstreamFormat, FramesModeExpandsInOrder) {
  const ChatCall call = sample_call();
  auto body = build_upstream_body(call, UpstreamFormat{VideoMode::frames, ""});
  ASSERT_TRUE(body.ok()) << body.error().message;
  const json::array& parts = body->at("messages").as_array()[1].at("content").as_array();
  ASSERT_EQ(parts.size(), 1u + 1u + 1u + 3u * 2u);
  EXPECT_EQ(parts[0], json::parse(R"({"type":"text","text":"What changed?"})"));
  EXPECT_EQ(parts[1].at("type"), "image_url");
  EXPECT_EQ(parts[1].at("image_url").at("url").as_string(), jpeg_url(call.media[0].frames[0]));
  EXPECT_EQ(parts[2], call.body.at("messages").as_array()[1].at("content").as_array()[2]);
  const char* times[] = {"t=12.5s", "t=13.0s", "t=13.6s"};
  for (size_t i = 0; i < 3; ++i) {
    const json::value& text = parts[3 + 2 * i];
    const json::value& image = parts[4 + 2 * i];
    EXPECT_EQ(text, json::value({{"type", "text"}, {"text", times[i]}}));
    EXPECT_EQ(image.at("type"), "image_url");
    EXPECT_EQ(image.at("image_url").at("url").as_string(), jpeg_url(call.media[1].frames[i]));
  }
  // Everything else is the client's request as it was.
  json::object rest = *body;
  json::object original = call.body;
  rest.erase("messages");
  original.erase("messages");
  EXPECT_EQ(rest, original);
  EXPECT_EQ(body->at("messages").as_array()[0], call.body.at("messages").as_array()[0]);
}

TEST(UpstreamFormat, SameInputGivesByteIdenticalText) {
  const ChatCall call = sample_call();
  auto a = build_upstream_body(call, UpstreamFormat{});
  ChatCall copy = sample_call();  // new JPEG buffers with the same bytes
  auto b = build_upstream_body(copy, UpstreamFormat{});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(json::serialize(*a), json::serialize(*b));
}

TEST(UpstreamFormat, NativeModeSendsOneMp4PerVideo) {
  const ChatCall call = sample_call();
  auto body = build_upstream_body(call, UpstreamFormat{VideoMode::native, "Qwen/Qwen2.5-VL-7B"});
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(body->at("model"), "Qwen/Qwen2.5-VL-7B");
  const json::array& parts = body->at("messages").as_array()[1].at("content").as_array();
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[1].at("image_url").at("url").as_string(), jpeg_url(call.media[0].frames[0]));
  ASSERT_EQ(parts[3].at("type"), "video_url");
  const std::string_view url = parts[3].at("video_url").at("url").as_string();
  constexpr std::string_view kPrefix = "data:video/mp4;base64,";
  ASSERT_EQ(url.substr(0, kPrefix.size()), kPrefix);
  auto mp4 = base64_decode(url.substr(kPrefix.size()));
  ASSERT_TRUE(mp4.ok());
  auto info = probe_mp4(*mp4);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->codec, "h264");
  EXPECT_EQ(info->pts_ms, (std::vector<int64_t>{0, 500, 1050}));

  auto again = build_upstream_body(sample_call(), UpstreamFormat{VideoMode::native, "Qwen/Qwen2.5-VL-7B"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(json::serialize(*again), json::serialize(*body));
}

TEST(UpstreamFormat, PlainStringContentAndNoPlaceholdersPassThrough) {
  ChatCall call;
  call.body = json::parse(R"({"model":"m","messages":[{"role":"user","content":"hi"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function",
       "function":{"name":"f","arguments":"{}"}}]}]})").as_object();
  auto body = build_upstream_body(call, UpstreamFormat{});
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, call.body);
}

TEST(UpstreamFormat, PlaceholderWithoutMediaIsInternalError) {
  ChatCall call;
  call.body = json::parse(R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"ovs_media","index":3}]}]})").as_object();
  auto body = build_upstream_body(call, UpstreamFormat{});
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code, ErrorCode::internal);
  call.media.resize(4);  // present but empty
  EXPECT_FALSE(build_upstream_body(call, UpstreamFormat{}).ok());
}

TEST(UpstreamFormat, StreamModeKeepsStreamOptionsOnlyWhenStreaming) {
  json::object body = json::parse(
      R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})").as_object();
  json::object streaming = body;
  set_stream_mode(streaming, true);
  EXPECT_EQ(streaming, body);
  set_stream_mode(body, false);
  EXPECT_EQ(body, json::parse(R"({"model":"m","stream":false})"));
}

TEST(VideoModeNames, RoundTrip) {
  EXPECT_EQ(parse_video_mode("frames"), VideoMode::frames);
  EXPECT_EQ(parse_video_mode("native"), VideoMode::native);
  EXPECT_FALSE(parse_video_mode("Native").has_value());
  EXPECT_EQ(to_string(VideoMode::native), "native");
}

}  // namespace
}  // namespace sl
