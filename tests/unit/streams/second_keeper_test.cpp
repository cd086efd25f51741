#include "streams/second_keeper.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "media/test_images.hpp"

namespace sl {
namespace {

// 30 fps on a whole-millisecond clock, as sources report it.
int64_t ts(int64_t k) { return (k * 1000 + 15) / 30; }

class SecondKeeperTest : public ::testing::Test {
 protected:
  SecondKeeperTest() : store_(StoreLimits{}), keeper_(store_, 85) {}

  void feed(int64_t timestamp_ms) {
    Packet p;
    p.keyframe = true;
    p.data = std::make_shared<Bytes>(10, 0);
    FrameArrival a;
    a.gop_id = keeper_.on_packet(p);
    a.timestamp_ms = timestamp_ms;
    a.wall_ms = 1'000'000 + timestamp_ms;
    a.image = testing::make_image(64, 48, PixelLayout::i420, false, 7);
    keeper_.on_frame(a);
  }
  std::vector<int64_t> kept(int64_t last_index) const {
    std::vector<int64_t> out;
    for (int64_t i = 0; i <= last_index; ++i)
      if (store_.rendition(i, rendition_key(64, 48))) out.push_back(i);
    return out;
  }

  FrameStore store_;
  SecondKeeper keeper_;
};

// SPEC section 2: the frame nearest each whole second is kept encoded, the very frame the
// ovs:// 1 fps grid picks (a tie goes to the earlier frame).
TEST_F(SecondKeeperTest, KeepsTheFrameNearestEachSecond) {
  for (int64_t k = 0; k < 95; ++k) feed(ts(k));
  EXPECT_EQ(kept(94), (std::vector<int64_t>{0, 30, 60, 90}));
  EXPECT_EQ(keeper_.kept(), 4);
}

TEST_F(SecondKeeperTest, IrregularTimesAndGaps) {
  // 0 | 980 1020 (980 is nearer 1000) | 1990 2011 (1990) | 2500 3500 (tie at 3000: 2500)
  for (int64_t t : {0, 980, 1020, 1990, 2011, 2500, 3500, 4700}) feed(t);
  // 4000 lies between 3500 and 4700: 3500 is nearer.
  EXPECT_EQ(kept(7), (std::vector<int64_t>{0, 1, 3, 5, 6}));
}

TEST_F(SecondKeeperTest, AFrameNearestTwoSecondsIsEncodedOnce) {
  // 1500 is nearest to 1000 (after 0) and again to 2000 (before 2600).
  for (int64_t t : {0, 1500, 2600}) feed(t);
  EXPECT_EQ(kept(2), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(keeper_.kept(), 2);
}

TEST_F(SecondKeeperTest, PinnedJpegsStayBeyondTheRenditionCache) {
  StoreLimits limits;
  limits.rendition_bytes = 1;  // the FIFO cache keeps nothing
  FrameStore store(limits);
  SecondKeeper keeper(store, 85);
  for (int64_t k = 0; k < 65; ++k) {
    Packet p;
    p.keyframe = true;
    p.data = std::make_shared<Bytes>(10, 0);
    FrameArrival a;
    a.gop_id = keeper.on_packet(p);
    a.timestamp_ms = ts(k);
    a.image = testing::make_image(64, 48, PixelLayout::i420, false, 7);
    keeper.on_frame(a);
    store.put_rendition(k, 1234, std::make_shared<const Bytes>(100, 1));  // churn the cache
  }
  EXPECT_TRUE(store.rendition(30, rendition_key(64, 48)));
  EXPECT_TRUE(store.rendition(60, rendition_key(64, 48)));
  EXPECT_FALSE(store.rendition(10, 1234));
}

}  // namespace
}  // namespace sl
