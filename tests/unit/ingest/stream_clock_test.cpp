#include "ingest/stream_clock.hpp"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(StreamClock, FollowsPtsFromZero) {
  StreamClock c;
  c.new_connection();
  EXPECT_EQ(c.stamp(90'000, 5'000), 0);   // first frame of the stream is 0
  EXPECT_EQ(c.stamp(90'033, 5'040), 33);  // pts spacing, not arrival jitter
  EXPECT_EQ(c.stamp(90'067, 5'060), 67);
  EXPECT_EQ(c.rebases(), 0);
}

TEST(StreamClock, MissingPtsUsesArrival) {
  StreamClock c;
  c.new_connection();
  EXPECT_EQ(c.stamp(std::nullopt, 1'000), 0);
  EXPECT_EQ(c.stamp(std::nullopt, 1'040), 40);
  EXPECT_EQ(c.stamp(std::nullopt, 1'040), 41);  // same arrival: still strictly increasing
  EXPECT_EQ(c.stamp(500, 1'100), 100);          // pts appear: anchored at the arrival time
  EXPECT_EQ(c.stamp(533, 1'130), 133);
}

TEST(StreamClock, BackwardsPtsRebases) {
  StreamClock c;
  c.new_connection();
  c.stamp(10'000, 0);
  c.stamp(10'033, 33);
  EXPECT_EQ(c.stamp(5'000, 66), 66);  // went backwards: arrival clock
  EXPECT_EQ(c.stamp(5'033, 100), 99);  // then pts again from the new anchor
  EXPECT_EQ(c.rebases(), 1);
}

TEST(StreamClock, ForwardJumpRebases) {
  StreamClock c;
  c.new_connection();
  c.stamp(0, 0);
  c.stamp(33, 33);
  EXPECT_EQ(c.stamp(3'600'000, 66), 66);  // a discontinuity, not an hour of video
  EXPECT_EQ(c.rebases(), 1);
}

TEST(StreamClock, LaggingPtsRebases) {
  StreamClock c;
  c.new_connection();
  c.stamp(0, 0);
  // A clock that runs at half speed falls behind arrival; past a second it is dropped.
  int64_t t = 0;
  for (int i = 1; i <= 100; ++i) t = c.stamp(i * 16, i * 33);
  EXPECT_GE(c.rebases(), 1);
  EXPECT_GE(t, 3'300 - 1'000);
}

TEST(StreamClock, BurstsAheadAreKeptButPaced) {
  StreamClock c;
  c.new_connection();
  c.stamp(0, 0);
  // A GOP cache or an HLS segment: seconds of frames arriving at once keep their pts times.
  int i = 1;
  for (; i * 33 <= 10 + 10'000; ++i) {
    EXPECT_EQ(c.pace_ms(i * 33, 10), 0);
    EXPECT_EQ(c.stamp(i * 33, 10), i * 33);
  }
  EXPECT_EQ(c.rebases(), 0);
  // Beyond the allowed lead (a file served over HTTP faster than real time) the clock asks
  // for a hold instead of rebasing.
  const int64_t hold = c.pace_ms(i * 33, 10);
  EXPECT_EQ(hold, i * 33 - 10 - 10'000);
  EXPECT_EQ(c.stamp(i * 33, 10 + hold), i * 33);
  EXPECT_EQ(c.rebases(), 0);
}

TEST(StreamClock, FilePacingHoldsUntilDue) {
  StreamClock c(StreamClockOptions{.max_lead_ms = 0});
  c.new_connection();
  EXPECT_EQ(c.pace_ms(0, 100), 0);
  c.stamp(0, 100);
  EXPECT_EQ(c.pace_ms(33, 105), 28);
  EXPECT_EQ(c.stamp(33, 133), 33);
}

TEST(StreamClock, ContinuesAcrossReconnects) {
  StreamClock c;
  c.new_connection();
  c.stamp(1'000, 0);
  c.stamp(1'033, 33);
  // Reconnected 5 s later; the new connection's pts restart at 0.
  c.new_connection();
  EXPECT_EQ(c.stamp(0, 5'033), 5'033);
  EXPECT_EQ(c.stamp(33, 5'066), 5'066);
  // Reconnected at once with arrival not past the last stamp: last + 1.
  c.new_connection();
  EXPECT_EQ(c.stamp(777, 5'000), 5'067);
  EXPECT_EQ(c.stamp(810, 5'040), 5'100);
  EXPECT_EQ(c.rebases(), 0);
}

}  // namespace
}  // namespace sl
