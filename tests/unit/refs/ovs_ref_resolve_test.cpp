#include <gtest/gtest.h>

#include <algorithm>

#include <memory>
#include <string>

#include "refs/ovs_ref.hpp"

namespace sl {
namespace {

constexpr int64_t kWall0 = 1'700'000'000'000;
const std::string kParam = "messages[0].content[1].video_url.url";

// 30 fps on an integer-millisecond clock, as sources report it.
int64_t ts(int64_t k) { return (k * 1000 + 15) / 30; }

// A store holding 20 s of a 30 fps stream in 1 s GOPs with 10 s retention: frames 0..269 are
// evicted, 270..599 (ts 9000..19967) retained.
class Resolve : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreLimits limits;
    limits.retention_ms = 10'000;
    store_ = std::make_unique<FrameStore>(limits);
    auto cfg = std::make_shared<CodecConfig>();
    for (int64_t k = 0; k < 600; ++k) {
      Packet p;
      p.config = cfg;
      p.data = std::make_shared<Bytes>(10, 0);
      p.keyframe = k % 30 == 0;
      p.pts = ts(k);
      FrameArrival a;
      a.gop_id = store_->on_packet(p);
      a.pts = ts(k);
      a.timestamp_ms = ts(k);
      a.wall_ms = kWall0 + ts(k);
      store_->on_frame(a);
    }
    ASSERT_EQ(store_->oldest()->index, 270);
    ASSERT_EQ(store_->newest()->index, 599);
  }

  int64_t newest_wall() const { return kWall0 + ts(599); }

  Result<Resolution> image(const std::string& query, int64_t now_wall = 0) const {
    auto ref = parse_image_query(query, "cam", kParam);
    EXPECT_TRUE(ref.ok()) << query << ": " << ref.error().message;
    if (!ref.ok()) return ref.error();
    return resolve(*ref, *store_, now_wall != 0 ? now_wall : newest_wall(), kParam);
  }
  Result<Resolution> video(const std::string& query, int64_t now_wall = 0) const {
    auto ref = parse_video_query(query, "cam", kParam);
    EXPECT_TRUE(ref.ok()) << query << ": " << ref.error().message;
    if (!ref.ok()) return ref.error();
    return resolve(*ref, *store_, now_wall != 0 ? now_wall : newest_wall(), kParam);
  }
  // The one frame an image query selects, or -1 on error.
  int64_t frame(const std::string& query, int64_t now_wall = 0) const {
    auto r = image(query, now_wall);
    if (!r.ok()) return -1;
    EXPECT_EQ(r->frames.size(), 1u);
    EXPECT_FALSE(r->clamped) << query;
    return r->frames.at(0).index;
  }
  ErrorCode image_error(const std::string& query, int64_t now_wall = 0) const {
    auto r = image(query, now_wall);
    EXPECT_FALSE(r.ok()) << query;
    if (r.ok()) return ErrorCode::internal;
    EXPECT_EQ(r.error().param, kParam);
    return r.error().code;
  }
  ErrorCode video_error(const std::string& query, int64_t now_wall = 0) const {
    auto r = video(query, now_wall);
    EXPECT_FALSE(r.ok()) << query;
    if (r.ok()) return ErrorCode::internal;
    EXPECT_EQ(r.error().param, kParam);
    return r.error().code;
  }
  static std::vector<int64_t> indices(const Resolution& r) {
    std::vector<int64_t> out;
    for (const FrameRecord& f : r.frames) out.push_back(f.index);
    return out;
  }

  std::unique_ptr<FrameStore> store_;
};

TEST_F(Resolve, FrameIndex) {
  EXPECT_EQ(frame(""), 599);
  EXPECT_EQ(frame("frame_index=-1"), 599);
  EXPECT_EQ(frame("frame_index=300"), 300);
  EXPECT_EQ(frame("frame_index=-30"), 570);
  EXPECT_EQ(frame("frame_index=270"), 270);
  EXPECT_EQ(frame("frame_index=-330"), 270);
  auto r = image("frame_index=300");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->frames[0].timestamp_ms, 10'000);
  EXPECT_EQ(r->frames[0].wall_ms, kWall0 + 10'000);
}

TEST_F(Resolve, FrameIndexBeforeTheOldestClamps) {
  for (const char* q : {"frame_index=5", "frame_index=269", "frame_index=-331",
                        "frame_index=-9223372036854775808"}) {
    auto r = image(q);
    ASSERT_TRUE(r.ok()) << q;
    ASSERT_EQ(r->frames.size(), 1u);
    EXPECT_EQ(r->frames[0].index, 270) << q;
    EXPECT_TRUE(r->clamped) << q;
  }
}

TEST_F(Resolve, FrameIndexAfterTheNewestIsNotAvailable) {
  EXPECT_EQ(image_error("frame_index=600"), ErrorCode::frame_not_available);
  EXPECT_EQ(image_error("frame_index=9223372036854775807"), ErrorCode::frame_not_available);
}

TEST_F(Resolve, TimestampWithToleranceAndDirection) {
  EXPECT_EQ(frame("timestamp_ms=10000"), 300);
  // 10010: frame 300 is 10 ms before, frame 301 (10033) 23 ms after.
  EXPECT_EQ(frame("timestamp_ms=10010"), 300);
  EXPECT_EQ(frame("timestamp_ms=10010&direction=forward"), 301);
  EXPECT_EQ(frame("timestamp_ms=10010&direction=backward"), 300);
  EXPECT_EQ(frame("timestamp_ms=10010&tolerance_ms=10"), 300);
  EXPECT_EQ(image_error("timestamp_ms=10010&tolerance_ms=9"), ErrorCode::frame_not_found);
  EXPECT_EQ(image_error("timestamp_ms=10010&tolerance_ms=20&direction=forward"),
            ErrorCode::frame_not_found);
  EXPECT_EQ(frame("timestamp_ms=10010&tolerance_ms=23&direction=forward"), 301);
  EXPECT_EQ(image_error("timestamp_ms=10026&tolerance_ms=25&direction=backward"),
            ErrorCode::frame_not_found);
  // 10050 is 17 ms from both 301 (10033) and 302 (10067): a tie goes to the earlier frame.
  EXPECT_EQ(frame("timestamp_ms=10050"), 301);
}

TEST_F(Resolve, TimestampAfterTheNewest) {
  // Newest is at 19967.
  EXPECT_EQ(frame("timestamp_ms=20067"), 599);
  EXPECT_EQ(image_error("timestamp_ms=20068"), ErrorCode::frame_not_available);
  EXPECT_EQ(image_error("timestamp_ms=20000&direction=forward"), ErrorCode::frame_not_found);
  EXPECT_EQ(image_error("timestamp_ms=20001&tolerance_ms=30"), ErrorCode::frame_not_available);
}

TEST_F(Resolve, TimestampBeforeTheOldest) {
  // Oldest is frame 270 at 9000.
  EXPECT_EQ(frame("timestamp_ms=8950"), 270);
  EXPECT_EQ(frame("timestamp_ms=8900"), 270);
  EXPECT_EQ(image_error("timestamp_ms=8950&direction=backward"), ErrorCode::frame_not_found);
  for (const char* q : {"timestamp_ms=8899", "timestamp_ms=0", "timestamp_ms=8989&tolerance_ms=10"}) {
    auto r = image(q);
    ASSERT_TRUE(r.ok()) << q;
    EXPECT_EQ(r->frames.at(0).index, 270) << q;
    EXPECT_TRUE(r->clamped) << q;
  }
}

TEST_F(Resolve, OffsetFromNowAndFromTheOldest) {
  // Half a second after the newest frame arrived, the stream clock is at 20467.
  const int64_t now = newest_wall() + 500;
  EXPECT_EQ(frame("offset_ms=-500", now), 599);
  EXPECT_EQ(frame("offset_ms=-1000", now), 584);  // 19467
  EXPECT_EQ(image_error("offset_ms=-100", now), ErrorCode::frame_not_available);
  EXPECT_EQ(frame("offset_ms=-100"), 596);  // no delay: now = newest = 19967 → 19867 (596)
  // Non-negative offsets count from the oldest retained frame (9000).
  EXPECT_EQ(frame("offset_ms=0", now), 270);
  EXPECT_EQ(frame("offset_ms=1000", now), 300);
  EXPECT_EQ(frame("offset_ms=1010&direction=forward", now), 301);
  auto far = image("offset_ms=-60000", now);
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(far->frames.at(0).index, 270);
  EXPECT_TRUE(far->clamped);
  EXPECT_EQ(image_error("offset_ms=9223372036854775807", now), ErrorCode::frame_not_available);
}

TEST_F(Resolve, ClockBeforeTheNewestFrameIsTheNewestFrame) {
  // A request whose arrival time precedes the newest frame's wall time (clock skew between
  // threads) sees the live edge at the newest frame, not before it.
  EXPECT_EQ(frame("offset_ms=-33", newest_wall() - 5000), 598);
}

TEST_F(Resolve, SegmentAtMaxFps) {
  // A 10 s segment of a 30 fps stream at max_fps=2: 20 frames, exactly 15 apart.
  auto r = video("start_frame_index=300&end_frame_index=600&max_fps=2");
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::vector<int64_t> want;
  for (int i = 0; i < 20; ++i) want.push_back(300 + 15 * i);
  EXPECT_EQ(indices(*r), want);
  EXPECT_FALSE(r->clamped);

  // The same by time, with the end at the live edge.
  auto by_time = video("start_timestamp_ms=10000&max_fps=2");
  ASSERT_TRUE(by_time.ok());
  EXPECT_EQ(indices(*by_time), want);

  // Default max_fps is 1: 10 frames 30 apart.
  auto one = video("start_frame_index=300&end_frame_index=600");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->frames.size(), 10u);
  EXPECT_EQ(one->frames[1].index, 330);
  EXPECT_EQ(one->frames[9].index, 570);

  // A max_fps above the stream's rate takes every frame.
  auto all = video("start_frame_index=300&end_frame_index=330&max_fps=60");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->frames.size(), 30u);
}

TEST_F(Resolve, SegmentEndIsExclusive) {
  auto r = video("start_frame_index=300&end_frame_index=303&max_fps=60");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(indices(*r), (std::vector<int64_t>{300, 301, 302}));
  auto t = video("start_timestamp_ms=10000&end_timestamp_ms=10067&max_fps=60");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(indices(*t), (std::vector<int64_t>{300, 301}));
  auto neg = video("start_frame_index=-4&end_frame_index=-1&max_fps=60");
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(indices(*neg), (std::vector<int64_t>{596, 597, 598}));
}

TEST_F(Resolve, SegmentDefaultsToTheLiveEdge) {
  auto r = video("start_frame_index=-3&max_fps=60");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(indices(*r), (std::vector<int64_t>{597, 598, 599}));
  auto off = video("start_offset_ms=-100&max_fps=60");  // 19867.. → 596..599
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(indices(*off), (std::vector<int64_t>{596, 597, 598, 599}));
}

TEST_F(Resolve, SegmentWithMixedAnchorKinds) {
  auto r = video("start_timestamp_ms=10000&end_frame_index=330&max_fps=60");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->frames.size(), 30u);
  EXPECT_EQ(r->frames.front().index, 300);
  EXPECT_EQ(r->frames.back().index, 329);

  const int64_t now = newest_wall() + 33;  // stream clock 20000
  auto off = video("start_frame_index=570&end_offset_ms=-500&max_fps=60", now);  // end 19500
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->frames.front().index, 570);
  EXPECT_EQ(off->frames.back().index, 584);  // 19467 < 19500 <= 19500 (585)

  auto from_oldest = video("start_offset_ms=1000&end_timestamp_ms=11000&max_fps=60");
  ASSERT_TRUE(from_oldest.ok());
  EXPECT_EQ(from_oldest->frames.front().index, 300);
  EXPECT_EQ(from_oldest->frames.back().index, 329);
}

TEST_F(Resolve, SegmentMaxFramesSpreadsEvenly) {
  // SPEC section 3: the segment runs from 10000 to the live edge 19967, P = ceil(9967/4) = 2492;
  // the multiples of P in [10000, 19967) are 12460, 14952, 17444, 19936.
  auto r = video("start_frame_index=300&end_frame_index=600&max_fps=30&max_frames=4");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(indices(*r), (std::vector<int64_t>{374, 449, 523, 598}));
  auto one = video("start_frame_index=300&max_frames=1");  // P = 9967: the instant 19934
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(indices(*one), (std::vector<int64_t>{598}));
  // With an end inside the stream: P = ceil(9933/4) = 2484, instants 12420, 14904, 17388, 19872.
  auto inside = video("start_frame_index=300&end_frame_index=598&max_frames=4");
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(indices(*inside), (std::vector<int64_t>{373, 447, 522, 596}));
}

// The point of the grid: a window that moved shares its frames with the previous request.
TEST_F(Resolve, MovingWindowSharesFrames) {
  const int64_t now = newest_wall();
  auto a = video("start_offset_ms=-5000&max_fps=2", now - 500);
  auto b = video("start_offset_ms=-5000&max_fps=2", now);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<int64_t> ia = indices(*a), ib = indices(*b);
  size_t shared = 0;
  for (int64_t i : ib) shared += static_cast<size_t>(std::count(ia.begin(), ia.end(), i));
  EXPECT_GE(shared + 1, ib.size()) << "a moved window picks the same frames where it overlaps";
  for (const FrameRecord& f : b->frames) {
    const int64_t off = f.timestamp_ms % 500;
    EXPECT_TRUE(off <= 17 || off >= 500 - 17) << f.timestamp_ms << " is not near a 500 ms instant";
  }
}

TEST_F(Resolve, SegmentStartBeforeTheOldestClamps) {
  auto r = video("start_frame_index=0&end_frame_index=300&max_fps=60");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->clamped);
  ASSERT_EQ(r->frames.size(), 30u);
  EXPECT_EQ(r->frames.front().index, 270);
  EXPECT_EQ(r->frames.back().index, 299);

  auto t = video("start_timestamp_ms=0&end_timestamp_ms=10000&max_fps=60");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->clamped);
  EXPECT_EQ(t->frames.front().index, 270);

  auto inside = video("start_frame_index=270&end_frame_index=300");
  ASSERT_TRUE(inside.ok());
  EXPECT_FALSE(inside->clamped);
}

TEST_F(Resolve, SegmentErrors) {
  // Entirely evicted.
  EXPECT_EQ(video_error("start_frame_index=0&end_frame_index=100"), ErrorCode::segment_empty);
  EXPECT_EQ(video_error("start_timestamp_ms=0&end_timestamp_ms=5000"), ErrorCode::segment_empty);
  EXPECT_EQ(video_error("start_frame_index=0&end_timestamp_ms=9000"), ErrorCode::segment_empty);
  // Start in the future.
  EXPECT_EQ(video_error("start_frame_index=600"), ErrorCode::frame_not_available);
  EXPECT_EQ(video_error("start_timestamp_ms=30000"), ErrorCode::frame_not_available);
  EXPECT_EQ(video_error("start_offset_ms=5000000"), ErrorCode::frame_not_available);
  // After the newest frame but not after now: nothing in it.
  EXPECT_EQ(video_error("start_offset_ms=-10", newest_wall() + 500), ErrorCode::segment_empty);
  // Same-kind anchors that only resolve to start >= end.
  EXPECT_EQ(video_error("start_frame_index=590&end_frame_index=-20"),
            ErrorCode::invalid_reference);
  EXPECT_EQ(video_error("start_offset_ms=10000&end_offset_ms=-1000"),
            ErrorCode::invalid_reference);
  // Mixed kinds that do not overlap: empty, not invalid.
  EXPECT_EQ(video_error("start_frame_index=500&end_timestamp_ms=10000"),
            ErrorCode::segment_empty);
}

TEST(ResolveEmptyStore, IsNotReady) {
  FrameStore store(StoreLimits{});
  for (RefKind kind : {RefKind::image, RefKind::video}) {
    OvsRef ref;
    ref.stream_id = "cam";
    ref.kind = kind;
    ref.anchor = Anchor{AnchorKind::frame_index, -1};
    auto r = resolve(ref, store, kWall0, "p");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::stream_not_ready);
    EXPECT_EQ(r.error().param, "p");
  }
}

TEST(ResolveSampling, SingleFrameAndIrregularTimestamps) {
  FrameStore store(StoreLimits{});
  // Frames at 0, 10, 20, 500, 990, 1000, 2000 ms.
  for (int64_t t : {0, 10, 20, 500, 990, 1000, 2000}) {
    FrameArrival a;
    a.timestamp_ms = t;
    a.wall_ms = kWall0 + t;
    store.on_frame(a);
  }
  OvsRef ref;
  ref.kind = RefKind::video;
  ref.anchor = Anchor{AnchorKind::frame_index, 6};
  auto single = resolve(ref, store, kWall0 + 2000, "p");
  ASSERT_TRUE(single.ok());
  ASSERT_EQ(single->frames.size(), 1u);
  EXPECT_EQ(single->frames[0].index, 6);

  // At 2 fps the instants are 0, 500, 1000, 1500, 2000 (the segment runs to the live edge at
  // 2000): frames 0, 3 (500), 5 (1000), 5 again (1500 is a tie: the earlier one), 6 (2000).
  ref.anchor = Anchor{AnchorKind::frame_index, 0};
  ref.max_fps = 2;
  auto spread = resolve(ref, store, kWall0 + 2000, "p");
  ASSERT_TRUE(spread.ok());
  std::vector<int64_t> got;
  for (const auto& f : spread->frames) got.push_back(f.index);
  EXPECT_EQ(got, (std::vector<int64_t>{0, 3, 5, 6}));
}

}  // namespace
}  // namespace sl
