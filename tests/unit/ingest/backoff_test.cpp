#include "ingest/backoff.hpp"

#include <gtest/gtest.h>

#include "ingest/gop_map.hpp"

namespace sl {
namespace {

TEST(Backoff, DoublesUpToTheCap) {
  Backoff b(250, 2000);
  EXPECT_EQ(b.next_delay_ms(), 250);
  EXPECT_EQ(b.next_delay_ms(), 500);
  EXPECT_EQ(b.next_delay_ms(), 1000);
  EXPECT_EQ(b.next_delay_ms(), 2000);
  EXPECT_EQ(b.next_delay_ms(), 2000);
  EXPECT_EQ(b.attempts(), 5);
}

TEST(Backoff, ResetStartsOver) {
  Backoff b(100, 10'000);
  b.next_delay_ms();
  b.next_delay_ms();
  b.reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_EQ(b.next_delay_ms(), 100);
}

TEST(Backoff, CapNotAMultipleAndOddInputs) {
  Backoff b(300, 1000);
  EXPECT_EQ(b.next_delay_ms(), 300);
  EXPECT_EQ(b.next_delay_ms(), 600);
  EXPECT_EQ(b.next_delay_ms(), 1000);
  Backoff inverted(500, 100);  // a cap below the start is the start
  EXPECT_EQ(inverted.next_delay_ms(), 500);
  EXPECT_EQ(inverted.next_delay_ms(), 500);
  Backoff zero(0, 0);
  EXPECT_GT(zero.next_delay_ms(), 0);  // never a busy loop
}

TEST(GopMap, FindsReorderedFramesByPts) {
  GopMap m;
  // Decode order I0 P3 B1 B2 | I4 ...: pts 0,3,1,2 in GOP 1, then GOP 2.
  m.add(0, 1);
  m.add(3, 1);
  m.add(1, 1);
  m.add(2, 1);
  m.add(4, 2);
  EXPECT_EQ(m.find(2), 1u);  // output after GOP 2's keyframe went in
  EXPECT_EQ(m.find(4), 2u);
  EXPECT_EQ(m.find(99), 2u);  // unknown: the newest GOP
}

TEST(GopMap, ForgetsOldEntries) {
  GopMap m(2);
  m.add(0, 1);
  m.add(1, 2);
  m.add(2, 3);
  EXPECT_EQ(m.find(0), 3u);
  EXPECT_EQ(m.find(1), 2u);
}

}  // namespace
}  // namespace sl
