// The WebRTC source against a GStreamer publisher in the same process, on loopback: real ICE,
// DTLS, SRTP, depayloading and decoding. Waits are on conditions (RecordingSink::wait_until),
// never on timing.
#include "ingest/webrtc_source.hpp"

#include <gtest/gtest.h>

#include "fakes/recording_sink.hpp"
#include "ingest/webrtc_session.hpp"
#include "gst_webrtc_sender.hpp"

namespace sl {
namespace {

using testing::GstWebRtcSender;
using testing::RecordingSink;

IngestOptions loopback_options() {
  IngestOptions o;
  o.webrtc.bind_addresses = {"127.0.0.1"};
  o.webrtc.allow_loopback = true;
  o.webrtc.ice_tcp = false;
  o.webrtc.no_media_timeout_ms = 1000;
  return o;
}

bool ended_with(const RecordingSink& s, const std::string& reason) {
  for (const auto& e : s.events())
    if ((e.state == SourceState::ended || e.state == SourceState::failed) && e.end_reason == reason)
      return true;
  return false;
}

class WebRtcSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Status s = ensure_gstreamer(); !s.ok()) GTEST_SKIP() << s.error().message;
  }
  RecordingSink sink;
  SystemClock clock;
};

void expect_frames(const std::string& codec, RecordingSink& sink, const Clock& clock) {
  WebRtcSource source(WebRtcSource::Kind::webrtc, loopback_options(), sink, clock);
  source.start();
  GstWebRtcSender sender(codec);
  ASSERT_TRUE(sender.valid());
  const std::string offer = sender.offer();
  ASSERT_NE(offer.find("a=candidate:"), std::string::npos) << offer;
  auto answer = source.answer(offer);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_NE(answer->sdp.find("a=candidate:"), std::string::npos) << answer->sdp;
  EXPECT_FALSE(answer->session_id.empty());
  ASSERT_TRUE(sender.accept(answer->sdp));
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.frames().size() >= 30; },
                              std::chrono::seconds(30)))
      << "frames: " << sink.snapshot_frames().size();
  source.stop();
  auto frames = sink.snapshot_frames();
  EXPECT_EQ(frames.front().width, 320);
  EXPECT_EQ(frames.front().height, 240);
  for (size_t i = 1; i < frames.size(); ++i)
    EXPECT_GT(frames[i].timestamp_ms, frames[i - 1].timestamp_ms);
  auto packets = sink.snapshot_packets();
  ASSERT_FALSE(packets.empty());
  EXPECT_TRUE(packets.front().keyframe);
  EXPECT_EQ(packets.front().config->codec, codec);
  auto events = sink.snapshot_events();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].state, SourceState::connecting);
  EXPECT_EQ(events[1].state, SourceState::active);
}

TEST_F(WebRtcSourceTest, Vp8PublisherDeliversFrames) { expect_frames("vp8", sink, clock); }

TEST_F(WebRtcSourceTest, H264PublisherDeliversFrames) { expect_frames("h264", sink, clock); }

// A camera with its microphone: the answer turns the audio m-line inactive (the publisher does
// not send what the server would drop) and the video flows as without audio.
TEST_F(WebRtcSourceTest, AudioIsAnsweredInactiveAndVideoFlows) {
  WebRtcSource source(WebRtcSource::Kind::webrtc, loopback_options(), sink, clock);
  source.start();
  GstWebRtcSender sender("vp8", 320, 240, /*with_audio=*/true);
  ASSERT_TRUE(sender.valid());
  const std::string offer = sender.offer();
  ASSERT_LT(offer.find("m=audio"), offer.find("m=video")) << offer;
  auto answer = source.answer(offer);
  ASSERT_TRUE(answer.ok()) << answer.error().message << offer;
  const std::string& sdp = answer->sdp;
  const size_t audio = sdp.find("m=audio");
  const size_t video = sdp.find("m=video");
  ASSERT_NE(audio, std::string::npos) << sdp;
  ASSERT_NE(video, std::string::npos) << sdp;
  ASSERT_LT(audio, video) << sdp;
  const std::string audio_section = sdp.substr(audio, video - audio);
  const std::string video_section = sdp.substr(video);
  EXPECT_NE(audio_section.find("a=inactive"), std::string::npos) << sdp;
  EXPECT_EQ(audio_section.find("a=recvonly"), std::string::npos) << sdp;
  EXPECT_NE(video_section.find("a=recvonly"), std::string::npos) << sdp;
  ASSERT_TRUE(sender.accept(answer->sdp));
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.frames().size() >= 30; },
                              std::chrono::seconds(30)))
      << "frames: " << sink.snapshot_frames().size();
  source.stop();
  EXPECT_EQ(sink.snapshot_frames().front().width, 320);
}

// Packet loss and reordering on the way (before encryption, so the receiver sees real gaps and
// out-of-order sequence numbers): the stream neither ends nor stalls; frames keep coming in
// order. Loss makes the depayloader wait for a keyframe and ask for one; reordering of
// neighbours is repaired by the jitter buffer.
void expect_frames_through(const std::string& codec, bool drop, bool swap, RecordingSink& sink,
                           const Clock& clock) {
  WebRtcSource source(WebRtcSource::Kind::webrtc, loopback_options(), sink, clock);
  source.start();
  GstWebRtcSender sender(codec);
  ASSERT_TRUE(sender.valid());
  sender.impair(/*period=*/40, drop, swap);
  auto answer = source.answer(sender.offer());
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_TRUE(sender.accept(answer->sdp));
  // Three impairments happened (the first is the very first packet) ...
  ASSERT_TRUE(sink.wait_until(
      [&](const RecordingSink&) { return sender.dropped() + sender.swapped() >= 3; },
      std::chrono::seconds(60)))
      << "dropped " << sender.dropped() << ", swapped " << sender.swapped();
  // ... and a second's worth of frames still comes after them.
  const size_t before = sink.snapshot_frames().size();
  ASSERT_TRUE(sink.wait_until(
      [&](const RecordingSink& s) { return s.frames().size() >= before + 30; },
      std::chrono::seconds(60)))
      << "frames: " << before << " then " << sink.snapshot_frames().size();
  source.stop();
  auto frames = sink.snapshot_frames();
  for (size_t i = 1; i < frames.size(); ++i)
    EXPECT_GT(frames[i].timestamp_ms, frames[i - 1].timestamp_ms);
  for (const auto& e : sink.snapshot_events())
    EXPECT_TRUE(e.state == SourceState::connecting || e.state == SourceState::active)
        << "event " << static_cast<int>(e.state) << " " << e.end_reason;
}

TEST_F(WebRtcSourceTest, LostPacketsNeitherEndNorStallTheStream) {
  expect_frames_through("h264", /*drop=*/true, /*swap=*/false, sink, clock);
}

TEST_F(WebRtcSourceTest, ReorderedPacketsNeitherEndNorStallTheStream) {
  expect_frames_through("vp8", /*drop=*/false, /*swap=*/true, sink, clock);
}

TEST_F(WebRtcSourceTest, VanishedPublisherEndsTheStreamAsSourceLost) {
  WebRtcSource source(WebRtcSource::Kind::webrtc, loopback_options(), sink, clock);
  source.start();
  GstWebRtcSender sender("vp8");
  auto answer = source.answer(sender.offer());
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_TRUE(sender.accept(answer->sdp));
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.frames().size() >= 5; },
                              std::chrono::seconds(30)));
  sender.vanish();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return ended_with(s, "source_lost"); },
                              std::chrono::seconds(30)));
  // A webrtc stream takes one offer only.
  GstWebRtcSender second("vp8");
  auto again = source.answer(second.offer());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  source.stop();
}

TEST_F(WebRtcSourceTest, WhipTakesOnePublisherAtATimeAndEndsOnDelete) {
  WebRtcSource source(WebRtcSource::Kind::whip, loopback_options(), sink, clock);
  source.start();
  GstWebRtcSender first("vp8");
  auto answer = source.answer(first.offer());
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_TRUE(first.accept(answer->sdp));

  GstWebRtcSender second("vp8");
  auto busy = source.answer(second.offer());
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code, ErrorCode::conflict);

  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.frames().size() >= 5; },
                              std::chrono::seconds(30)));
  EXPECT_EQ(source.end_session("wrong").error().code, ErrorCode::not_found);
  EXPECT_TRUE(source.end_session(answer->session_id).ok());
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return ended_with(s, "source_ended"); },
                              std::chrono::seconds(30)));
  source.stop();
}

TEST_F(WebRtcSourceTest, WhipWaitsForTheNextPublisherWhenConfigured) {
  IngestOptions o = loopback_options();
  o.webrtc.whip_wait_for_publisher = true;
  WebRtcSource source(WebRtcSource::Kind::whip, o, sink, clock);
  source.start();
  {
    GstWebRtcSender first("vp8");
    auto answer = source.answer(first.offer());
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    ASSERT_TRUE(first.accept(answer->sdp));
    ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.frames().size() >= 5; },
                                std::chrono::seconds(30)));
    first.vanish();
  }
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.reconnects() >= 1; },
                              std::chrono::seconds(30)));
  EXPECT_TRUE(sink.snapshot_events().size() >= 3);
  const size_t before = sink.snapshot_frames().size();
  GstWebRtcSender next("h264");
  auto answer = source.answer(next.offer());
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_TRUE(next.accept(answer->sdp));
  ASSERT_TRUE(sink.wait_until(
      [before](const RecordingSink& s) { return s.frames().size() >= before + 5; },
      std::chrono::seconds(30)));
  EXPECT_FALSE(ended_with(sink, "source_lost"));
  source.stop();
}

TEST_F(WebRtcSourceTest, DefaultFactoryBuildsWebRtcKinds) {
  auto factory = default_source_factory(loopback_options());
  EXPECT_TRUE(factory(WhipSourceSpec{}, sink, clock).ok());
  EXPECT_TRUE(factory(WebRtcSourceSpec{"v=0"}, sink, clock).ok());
  EXPECT_TRUE(warm_up_webrtc().ok());
}

TEST_F(WebRtcSourceTest, BadOffersAreRefusedBeforeAnyPipeline) {
  WebRtcSource source(WebRtcSource::Kind::whip, loopback_options(), sink, clock);
  source.start();
  EXPECT_EQ(source.answer("not sdp").error().code, ErrorCode::invalid_request);
  IngestOptions tiny = loopback_options();
  tiny.webrtc.max_offer_bytes = 10;
  WebRtcSource small(WebRtcSource::Kind::whip, tiny, sink, clock);
  EXPECT_EQ(small.answer(std::string(11, 'v')).error().code, ErrorCode::payload_too_large);
  source.stop();
}

TEST_F(WebRtcSourceTest, StopDuringALiveSessionIsPromptAndSilent) {
  auto source = std::make_unique<WebRtcSource>(WebRtcSource::Kind::whip, loopback_options(), sink,
                                               clock);
  source->start();
  GstWebRtcSender sender("vp8");
  auto answer = source->answer(sender.offer());
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_TRUE(sender.accept(answer->sdp));
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.frames().size() >= 3; },
                              std::chrono::seconds(30)));
  source->stop();
  const size_t events = sink.snapshot_events().size();
  const size_t frames = sink.snapshot_frames().size();
  source.reset();
  EXPECT_EQ(sink.snapshot_events().size(), events);
  EXPECT_EQ(sink.snapshot_frames().size(), frames);
  // An offer after stop() is refused without building anything.
  WebRtcSource stopped(WebRtcSource::Kind::whip, loopback_options(), sink, clock);
  stopped.stop();
  GstWebRtcSender late("vp8");
  EXPECT_EQ(stopped.answer(late.offer()).error().code, ErrorCode::conflict);
}

}  // namespace
}  // namespace sl
