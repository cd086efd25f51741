#include "ingest/test_pattern_source.hpp"

#include <gtest/gtest.h>

#include "fakes/recording_sink.hpp"
#include "ingest/test_pattern_image.hpp"
#include "media/barcode.hpp"
#include "media/decoder.hpp"

namespace sl {
namespace {

using testing::RecordingSink;

TEST(TestPatternImage, CarriesBarcodeAtAnySize) {
  for (auto [w, h] : {std::pair{640, 360}, std::pair{16, 16}, std::pair{1920, 1080}}) {
    for (int64_t n : {0, 1, 4097}) {
      VideoImage img = render_test_pattern(w, h, n, n);
      EXPECT_EQ(img.width, w);
      EXPECT_FALSE(img.full_range);
      EXPECT_EQ(read_barcode(img), n) << w << "x" << h;
    }
  }
}

TEST(TestPatternSource, FramesCountUpWithBarcodes) {
  RecordingSink sink;
  SystemClock clock;
  TestPatternSpec spec;
  spec.width = 320;
  spec.height = 240;
  spec.fps = 60;
  auto source = std::make_unique<TestPatternSource>(spec, sink, clock);
  ASSERT_NE(source, nullptr);
  source->start();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.frames().size() >= 70; }));
  source->stop();

  auto frames = sink.snapshot_frames();
  auto packets = sink.snapshot_packets();
  ASSERT_GE(frames.size(), 70u);
  ASSERT_FALSE(packets.empty());
  EXPECT_TRUE(packets.front().keyframe);
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].barcode, static_cast<int64_t>(i));
    EXPECT_EQ(frames[i].width, 320);
    if (i > 0) {
      EXPECT_GT(frames[i].timestamp_ms, frames[i - 1].timestamp_ms);
    }
  }
  EXPECT_EQ(frames[0].timestamp_ms, 0);
  EXPECT_EQ(frames[0].gop_id, 1u);
  // One keyframe per second: at 60 fps frame 60 opens the second GOP (unless the schedule
  // skipped, which only changes timestamps, never the one-packet-per-frame pairing).
  EXPECT_EQ(frames[60].gop_id, sink.snapshot_packet_gops()[60]);
  EXPECT_TRUE(packets[60].keyframe);
  EXPECT_FALSE(packets[59].keyframe);

  auto events = sink.snapshot_events();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].state, SourceState::connecting);
  EXPECT_EQ(events[1].state, SourceState::active);
}

TEST(TestPatternSource, PacketsDecodeToTheSameBarcodes) {
  RecordingSink sink;
  SystemClock clock;
  TestPatternSpec spec;
  spec.width = 160;
  spec.height = 120;
  spec.fps = 100;
  auto source = std::make_unique<TestPatternSource>(spec, sink, clock);
  source->start();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.packets().size() >= 10; }));
  source->stop();
  auto packets = sink.snapshot_packets();
  auto decoded = decode_packets(*packets.front().config, packets);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), packets.size());
  auto frames = sink.snapshot_frames();
  for (size_t i = 0; i < decoded->size(); ++i) {
    EXPECT_EQ(read_barcode((*decoded)[i].image), static_cast<int64_t>(i));
    EXPECT_EQ((*decoded)[i].pts, frames[i].pts);
  }
}

TEST(TestPatternSource, StopIsIdempotentAndWorksBeforeStart) {
  RecordingSink sink;
  SystemClock clock;
  TestPatternSpec spec;
  spec.width = 64;
  spec.height = 64;
  spec.fps = 1;
  auto source = std::make_unique<TestPatternSource>(spec, sink, clock);
  source->stop();
  source->start();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return !s.frames().empty(); }));
  source->stop();  // at 1 fps the thread is waiting for its next slot: must wake up
  source->stop();
}

}  // namespace
}  // namespace sl
