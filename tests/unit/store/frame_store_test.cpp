#include "store/frame_store.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace sl {
namespace {

constexpr int64_t kWall0 = 1'700'000'000'000;

// A tiny grey I420 picture owning its planes.
VideoImage make_image(int w = 16, int h = 8) {
  auto buf = std::make_shared<Bytes>(static_cast<size_t>(w * h * 3 / 2), 128);
  VideoImage img;
  img.width = w;
  img.height = h;
  img.plane = {buf->data(), buf->data() + w * h, buf->data() + w * h + w * h / 4};
  img.stride = {w, w / 2, w / 2};
  img.owner = buf;
  return img;
}

Packet make_packet(bool key, int64_t pts, size_t size, std::shared_ptr<const CodecConfig> cfg) {
  Packet p;
  p.config = std::move(cfg);
  p.data = std::make_shared<Bytes>(size, 0);
  p.keyframe = key;
  p.pts = pts;
  p.dts = pts;
  return p;
}

// Feeds a synthetic 30 fps stream: frame k has timestamp round(k * 1000 / 30).
class Feeder {
 public:
  explicit Feeder(FrameStore& store, size_t packet_bytes = 1000, bool images = true)
      : store_(store), packet_bytes_(packet_bytes), images_(images) {
    auto cfg = std::make_shared<CodecConfig>();
    cfg->codec = "h264";
    cfg->width = 16;
    cfg->height = 8;
    config_ = cfg;
  }
  static int64_t ts(int64_t k) { return (k * 1000 + 15) / 30; }

  // One frame: a packet (key when starting a GOP) then its decoded frame.
  int64_t frame(bool key) {
    const int64_t k = count_++;
    gop_ = store_.on_packet(make_packet(key, ts(k), packet_bytes_, config_));
    FrameArrival a;
    a.gop_id = gop_;
    a.pts = ts(k);
    a.timestamp_ms = ts(k);
    a.wall_ms = kWall0 + ts(k);
    if (images_) a.image = make_image();
    return store_.on_frame(a);
  }
  void gops(int n, int frames_per_gop) {
    for (int g = 0; g < n; ++g)
      for (int f = 0; f < frames_per_gop; ++f) frame(f == 0);
  }
  uint64_t gop() const { return gop_; }

 private:
  FrameStore& store_;
  size_t packet_bytes_;
  bool images_;
  std::shared_ptr<const CodecConfig> config_;
  int64_t count_ = 0;
  uint64_t gop_ = 0;
};

StoreLimits big_limits() {
  StoreLimits l;
  l.retention_ms = 1'000'000;
  l.max_bytes = 1ull << 30;
  l.decoded_keep = 2;
  l.rendition_bytes = 1ull << 20;
  return l;
}

TEST(FrameStore, AssignsLifetimeIndicesAndRecords) {
  FrameStore store(big_limits());
  EXPECT_FALSE(store.newest());
  EXPECT_FALSE(store.oldest());
  EXPECT_EQ(store.stats().last_index, -1);
  EXPECT_EQ(store.stats().first_index, -1);

  Feeder feed(store);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(feed.frame(i == 0), i);

  auto newest = store.newest();
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->index, 4);
  EXPECT_EQ(newest->timestamp_ms, Feeder::ts(4));
  EXPECT_EQ(newest->wall_ms, kWall0 + Feeder::ts(4));
  EXPECT_EQ(store.oldest()->index, 0);
  EXPECT_EQ(store.record(2)->timestamp_ms, Feeder::ts(2));
  EXPECT_FALSE(store.record(5));
  EXPECT_FALSE(store.record(-1));

  StoreStats s = store.stats();
  EXPECT_EQ(s.first_index, 0);
  EXPECT_EQ(s.last_index, 4);
  EXPECT_EQ(s.first_frame_wall_ms, kWall0);
  EXPECT_EQ(s.last_frame_wall_ms, kWall0 + Feeder::ts(4));
  EXPECT_EQ(s.retained_frames, 5);
  EXPECT_EQ(s.frames_received, 5);
  EXPECT_EQ(s.evicted_frames, 0);
  EXPECT_EQ(s.width, 16);
  EXPECT_EQ(s.height, 8);
}

TEST(FrameStore, NonKeyframeBeforeAnyGopIsDropped) {
  FrameStore store(big_limits());
  auto cfg = std::make_shared<CodecConfig>();
  EXPECT_EQ(store.on_packet(make_packet(false, 0, 500, cfg)), 0u);
  EXPECT_EQ(store.stats().bytes, 0u);
  const uint64_t g1 = store.on_packet(make_packet(true, 0, 500, cfg));
  EXPECT_NE(g1, 0u);
  EXPECT_EQ(store.on_packet(make_packet(false, 1, 500, cfg)), g1);
  const uint64_t g2 = store.on_packet(make_packet(true, 2, 500, cfg));
  EXPECT_GT(g2, g1);
  EXPECT_EQ(store.stats().bytes, 1500u);
}

TEST(FrameStore, TimeEvictionDropsWholeGopsOnly) {
  StoreLimits l = big_limits();
  l.retention_ms = 1000;
  FrameStore store(l);
  Feeder feed(store, 100);
  feed.gops(10, 10);  // 100 frames, GOPs of 10 (333 ms each)

  StoreStats s = store.stats();
  EXPECT_EQ(s.last_index, 99);
  EXPECT_EQ(s.first_index % 10, 0) << "eviction must remove whole GOPs";
  EXPECT_EQ(s.retained_frames + s.evicted_frames, 100);
  const int64_t cutoff = Feeder::ts(99) - 1000;
  // The oldest retained GOP still has a frame inside retention; the one before it did not.
  EXPECT_GE(Feeder::ts(s.first_index + 9), cutoff);
  EXPECT_LT(Feeder::ts(s.first_index - 1), cutoff);
  EXPECT_EQ(s.first_index, 60);
  EXPECT_EQ(s.bytes, 40u * 100 + 2 * make_image().byte_size());
}

TEST(FrameStore, ByteEvictionDropsOldestGopsButNeverTheNewest) {
  StoreLimits l = big_limits();
  l.decoded_keep = 0;
  l.max_bytes = 3500;
  FrameStore store(l);
  Feeder feed(store, 100, false);
  feed.gops(10, 10);  // each GOP is 1000 bytes
  StoreStats s = store.stats();
  EXPECT_EQ(s.first_index, 70);
  EXPECT_EQ(s.bytes, 3000u);
  EXPECT_EQ(s.evicted_frames, 70);

  // A single GOP bigger than the budget stays: it is the one being received.
  FrameStore small(l);
  Feeder big(small, 1000, false);
  big.gops(1, 10);
  EXPECT_EQ(small.stats().retained_frames, 10);
  EXPECT_EQ(small.stats().bytes, 10'000u);
  big.frame(true);  // a new GOP starts: the old one can go now
  EXPECT_EQ(small.stats().first_index, 10);
  EXPECT_EQ(small.stats().bytes, 1000u);
}

TEST(FrameStore, KeepsTheNewestFrameWhenTheNextGopStartsBeforeItIsDecoded) {
  // A decoder with delay reports the last frames of GOP n after the keyframe of GOP n+1 arrived.
  StoreLimits l = big_limits();
  l.max_bytes = 10;
  l.decoded_keep = 0;
  FrameStore store(l);
  auto cfg = std::make_shared<CodecConfig>();
  const uint64_t g1 = store.on_packet(make_packet(true, 0, 100, cfg));
  store.on_packet(make_packet(true, 1, 100, cfg));  // GOP 2 starts, no frame of it yet
  FrameArrival a;
  a.gop_id = g1;
  EXPECT_EQ(store.on_frame(a), 0);
  EXPECT_EQ(store.stats().retained_frames, 1);
  EXPECT_TRUE(store.gop_for(0).ok());
}

TEST(FrameStore, SourceWithoutPacketsIsEvictedFrameByFrame) {
  StoreLimits l = big_limits();
  l.retention_ms = 100;
  FrameStore store(l);
  for (int k = 0; k < 10; ++k) {
    FrameArrival a;
    a.timestamp_ms = k * 50;
    a.wall_ms = kWall0 + k * 50;
    store.on_frame(a);
  }
  // newest at 450: frames with ts >= 350 stay.
  EXPECT_EQ(store.oldest()->index, 7);
  EXPECT_FALSE(store.gop_for(8).ok());
}

TEST(FrameStore, KeepsOnlyTheNewestDecodedPictures) {
  StoreLimits l = big_limits();
  l.decoded_keep = 3;
  FrameStore store(l);
  Feeder feed(store, 10);
  feed.gops(2, 5);
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(store.decoded(i)) << i;
  for (int i = 7; i < 10; ++i) {
    auto img = store.decoded(i);
    ASSERT_TRUE(img) << i;
    EXPECT_TRUE(img->valid());
    EXPECT_EQ(img->width, 16);
  }
  EXPECT_FALSE(store.decoded(10));
  EXPECT_EQ(store.stats().bytes, 10u * 10 + 3 * make_image().byte_size());
}

TEST(FrameStore, TimestampLookupsAtBoundaries) {
  FrameStore store(big_limits());
  // Timestamps 0, 100, 100, 200, 300 (a repeated timestamp is allowed).
  const int64_t ts[] = {0, 100, 100, 200, 300};
  for (int64_t t : ts) {
    FrameArrival a;
    a.timestamp_ms = t;
    a.wall_ms = kWall0 + t;
    store.on_frame(a);
  }
  EXPECT_EQ(store.first_at_or_after(-5), 0);
  EXPECT_EQ(store.first_at_or_after(0), 0);
  EXPECT_EQ(store.first_at_or_after(1), 1);
  EXPECT_EQ(store.first_at_or_after(100), 1);
  EXPECT_EQ(store.first_at_or_after(101), 3);
  EXPECT_EQ(store.first_at_or_after(300), 4);
  EXPECT_FALSE(store.first_at_or_after(301));

  EXPECT_FALSE(store.last_at_or_before(-1));
  EXPECT_EQ(store.last_at_or_before(0), 0);
  EXPECT_EQ(store.last_at_or_before(99), 0);
  EXPECT_EQ(store.last_at_or_before(100), 2);
  EXPECT_EQ(store.last_at_or_before(299), 3);
  EXPECT_EQ(store.last_at_or_before(300), 4);
  EXPECT_EQ(store.last_at_or_before(10'000), 4);
}

TEST(FrameStore, TimestampThatStepsBackIsHeldMonotonic) {
  FrameStore store(big_limits());
  for (int64_t t : {0, 100, 50, 200}) {
    FrameArrival a;
    a.timestamp_ms = t;
    store.on_frame(a);
  }
  EXPECT_EQ(store.record(2)->timestamp_ms, 100);
  EXPECT_EQ(store.last_at_or_before(150), 2);
}

TEST(FrameStore, RecordsAreClippedToWhatIsRetained) {
  StoreLimits l = big_limits();
  l.retention_ms = 300;
  FrameStore store(l);
  Feeder feed(store);
  feed.gops(5, 6);  // 30 frames, GOP = 200 ms
  const int64_t first = store.oldest()->index;
  ASSERT_GT(first, 0);
  auto recs = store.records(0, 1000);
  ASSERT_EQ(static_cast<int64_t>(recs.size()), 30 - first);
  EXPECT_EQ(recs.front().index, first);
  EXPECT_EQ(recs.back().index, 29);
  EXPECT_EQ(store.records(first + 1, first + 2).size(), 2u);
  EXPECT_TRUE(store.records(5, 4).empty());
  EXPECT_TRUE(store.records(30, 40).empty());
  EXPECT_TRUE(store.records(0, first - 1).empty());
}

TEST(FrameStore, GopForReturnsPacketsAndFramesUntilEvicted) {
  StoreLimits l = big_limits();
  l.retention_ms = 500;
  FrameStore store(l);
  Feeder feed(store, 100);
  feed.gops(2, 4);
  auto snap = store.gop_for(5);
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->packets.size(), 4u);
  EXPECT_TRUE(snap->packets[0].keyframe);
  EXPECT_FALSE(snap->packets[1].keyframe);
  ASSERT_TRUE(snap->config);
  EXPECT_EQ(snap->config->codec, "h264");
  ASSERT_EQ(snap->frames.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(snap->frames[i].first, 4 + i);
    EXPECT_EQ(snap->frames[i].second, Feeder::ts(4 + i));
  }

  feed.gops(10, 4);  // 1.6 s later: the first GOPs are gone
  auto gone = store.gop_for(5);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::frame_not_found);
  EXPECT_FALSE(store.gop_for(10'000).ok());
}

TEST(FrameStore, RenditionsAreCachedCappedAndEvictedWithTheirFrame) {
  StoreLimits l = big_limits();
  l.retention_ms = 400;
  l.rendition_bytes = 250;
  FrameStore store(l);
  Feeder feed(store, 10, false);
  feed.gops(2, 3);

  EXPECT_EQ(store.rendition(0, 1), nullptr);
  auto a = std::make_shared<const Bytes>(100, 1);
  store.put_rendition(0, 1, a);
  EXPECT_EQ(store.rendition(0, 1), a);
  EXPECT_EQ(store.rendition(0, 2), nullptr);
  EXPECT_EQ(store.rendition(1, 1), nullptr);
  EXPECT_EQ(store.stats().bytes, 60u + 100);

  // The first rendition of a (frame, key) wins.
  store.put_rendition(0, 1, std::make_shared<const Bytes>(100, 2));
  EXPECT_EQ(store.rendition(0, 1), a);

  // FIFO cap: a third 100-byte rendition pushes out the first.
  store.put_rendition(1, 1, std::make_shared<const Bytes>(100, 3));
  store.put_rendition(4, 1, std::make_shared<const Bytes>(100, 4));
  EXPECT_EQ(store.rendition(0, 1), nullptr);
  EXPECT_NE(store.rendition(1, 1), nullptr);
  EXPECT_NE(store.rendition(4, 1), nullptr);
  EXPECT_EQ(store.stats().bytes, 60u + 200);

  // Not for frames the store does not hold.
  store.put_rendition(100, 1, std::make_shared<const Bytes>(10, 5));
  EXPECT_EQ(store.rendition(100, 1), nullptr);

  // Evicting GOP 1 (frames 0..2) takes its rendition along.
  feed.gops(4, 3);  // newest ts 567: GOP 1 (ts <= 67) is older than 400 ms, GOP 2 is not
  ASSERT_EQ(store.oldest()->index, 3);
  EXPECT_EQ(store.rendition(1, 1), nullptr);
  EXPECT_NE(store.rendition(4, 1), nullptr);
  EXPECT_EQ(store.stats().bytes, store.stats().retained_frames * 10u + 100);
}

TEST(FrameStore, RenditionBytesCountAgainstTheByteBudget) {
  StoreLimits l = big_limits();
  l.decoded_keep = 0;
  l.max_bytes = 2500;
  l.rendition_bytes = 10'000;
  FrameStore store(l);
  Feeder feed(store, 100, false);
  feed.gops(2, 10);  // 2000 bytes of packets
  store.put_rendition(0, 7, std::make_shared<const Bytes>(1000, 0));
  EXPECT_EQ(store.stats().bytes, 3000u);
  feed.frame(true);  // next arrival evicts: GOP 1 and its rendition go
  EXPECT_EQ(store.oldest()->index, 10);
  EXPECT_EQ(store.rendition(0, 7), nullptr);
  EXPECT_EQ(store.stats().bytes, 1100u);
}

TEST(FrameStore, SourceStateAndCounters) {
  FrameStore store(big_limits());
  EXPECT_EQ(store.decode_errors(), 0);
  EXPECT_EQ(store.reconnects(), 0);
  EXPECT_EQ(store.last_source_event().state, SourceState::connecting);
  store.on_decode_error();
  store.on_decode_error();
  store.on_reconnect();
  SourceEvent ev;
  ev.state = SourceState::reconnecting;
  ev.error = "connection refused";
  store.on_source_event(ev);
  EXPECT_EQ(store.decode_errors(), 2);
  EXPECT_EQ(store.reconnects(), 1);
  EXPECT_EQ(store.last_source_event().state, SourceState::reconnecting);
  EXPECT_EQ(store.last_source_event().error, "connection refused");
}

TEST(FrameStore, RecentFpsFromArrivalTimes) {
  FrameStore store(big_limits());
  EXPECT_EQ(store.stats().recent_fps, 0);
  Feeder feed(store);
  feed.frame(true);
  EXPECT_EQ(store.stats().recent_fps, 0);  // one frame has no rate
  feed.gops(3, 30);
  EXPECT_NEAR(store.stats().recent_fps, 30.0, 0.5);
}

}  // namespace
}  // namespace sl
