// Frames sampled out of in-memory video files: an H.264 MP4 with B-frames made by the ffmpeg
// CLI, its frames numbered with the SPEC §7 barcode, so each sampled picture says which frame
// it is.
#include "media/video_sampler.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "media/barcode.hpp"

namespace sl {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBarcodeFilter =
    "format=yuv420p,geq=lum='if(lt(Y,max(32,H/8)),if(mod(floor(N/pow(2,15-floor(X*16/W))),2),"
    "235,16),lum(X,Y))':cb='cb(X,Y)':cr='cr(X,Y)'";

Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class VideoSampler : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("ffmpeg -version > /dev/null 2>&1") != 0) return;
    std::string tmpl = (fs::temp_directory_path() / "sl-sampler-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return;
    dir_ = tmpl;
    // Three seconds at 30 fps, with B-frames (reordering and an MP4 edit list) on purpose.
    const fs::path file = dir_ / "clip.mp4";
    const std::string cmd =
        "ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=30 -t 3 "
        "-vf \"" + std::string(kBarcodeFilter) + "\" -c:v libx264 -bf 2 -g 30 " + file.string();
    if (std::system(cmd.c_str()) == 0) mp4_ = read_file(file);
    // The same video in MPEG-TS, which stays readable when cut short.
    const fs::path ts = dir_ / "clip.ts";
    const std::string remux = "ffmpeg -hide_banner -loglevel error -y -i " + file.string() +
                              " -c copy -f mpegts " + ts.string();
    if (std::system(remux.c_str()) == 0) ts_ = read_file(ts);
    // One frame wider than the 7680-pixel limit (cheap: 16 rows).
    const fs::path wide = dir_ / "wide.mp4";
    const std::string wide_cmd =
        "ffmpeg -hide_banner -loglevel error -y -f lavfi -i color=c=gray:size=7702x16:rate=1 "
        "-frames:v 1 -c:v libx264 " + wide.string();
    if (std::system(wide_cmd.c_str()) == 0) wide_ = read_file(wide);
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
    dir_.clear();
    mp4_.clear();
    ts_.clear();
    wide_.clear();
  }
  void SetUp() override {
    if (mp4_.empty()) GTEST_SKIP() << "the ffmpeg CLI with libx264 is needed to make test media";
  }

  static std::vector<int64_t> barcodes(const std::vector<SampledFrame>& frames) {
    std::vector<int64_t> out;
    for (const auto& f : frames) out.push_back(read_barcode(f.image));
    return out;
  }
  static std::vector<int64_t> times(const std::vector<SampledFrame>& frames) {
    std::vector<int64_t> out;
    for (const auto& f : frames) out.push_back(f.timestamp_ms);
    return out;
  }

  static inline fs::path dir_;
  static inline Bytes mp4_;
  static inline Bytes ts_;
  static inline Bytes wide_;
};

TEST_F(VideoSampler, OneFramePerSecondPicksFramesZeroThirtySixty) {
  auto frames = sample_video(mp4_, 1.0, 100, 0);
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  EXPECT_EQ(barcodes(*frames), (std::vector<int64_t>{0, 30, 60}));
  EXPECT_EQ(times(*frames), (std::vector<int64_t>{0, 1000, 2000}));
  for (const auto& f : *frames) {
    EXPECT_EQ(f.image.width, 160);
    EXPECT_EQ(f.image.height, 120);
  }
}

TEST_F(VideoSampler, MaxFramesSpreadsTheCapOverTheWholeVideo) {
  auto frames = sample_video(mp4_, 1.0, 2, 0);
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  EXPECT_EQ(barcodes(*frames), (std::vector<int64_t>{0, 45}));
  EXPECT_EQ(times(*frames), (std::vector<int64_t>{0, 1500}));
}

TEST_F(VideoSampler, HighFpsKeepsEveryFrameOnce) {
  auto frames = sample_video(mp4_, 60.0, 1000, 0);
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 90u);
  for (size_t i = 0; i < frames->size(); ++i) EXPECT_EQ(read_barcode((*frames)[i].image), int64_t(i));
}

TEST_F(VideoSampler, MaxPixelsDownscales) {
  // 128x96 keeps the barcode band (scaled from 32 to 25 rows) readable at its usual centre row.
  auto frames = sample_video(mp4_, 1.0, 1, 128 * 96);
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ((*frames)[0].image.width, 128);
  EXPECT_EQ((*frames)[0].image.height, 96);
  EXPECT_EQ(read_barcode((*frames)[0].image), 0);
}

TEST_F(VideoSampler, TruncatedMp4IsACleanError) {
  // Half the file: ffmpeg writes the MP4 index at the end, so this is no readable MP4.
  Bytes half(mp4_.begin(), mp4_.begin() + static_cast<ptrdiff_t>(mp4_.size() / 2));
  auto frames = sample_video(half, 1.0, 10, 0);
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.error().code, ErrorCode::invalid_request);
}

TEST_F(VideoSampler, TruncatedTransportStreamYieldsTheFramesBeforeTheCut) {
  ASSERT_FALSE(ts_.empty());
  Bytes part(ts_.begin(), ts_.begin() + static_cast<ptrdiff_t>(ts_.size() * 2 / 3));
  auto frames = sample_video(part, 1.0, 10, 0);
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  const auto codes = barcodes(*frames);
  ASSERT_FALSE(codes.empty());
  EXPECT_EQ(codes.front(), 0);
  EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end()));
  EXPECT_LT(codes.back(), 90);
}

TEST_F(VideoSampler, FramesOverTheSizeLimitAreRefused) {
  ASSERT_FALSE(wide_.empty());
  auto frames = sample_video(wide_, 1.0, 1, 0);
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.error().code, ErrorCode::payload_too_large);
  EXPECT_NE(frames.error().message.find("7702x16"), std::string::npos) << frames.error().message;
}

TEST(VideoSamplerInput, GarbageIsACleanError) {
  Bytes garbage(64 * 1024);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 7919 % 251);
  auto frames = sample_video(garbage, 1.0, 10, 0);
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.error().code, ErrorCode::invalid_request);
  EXPECT_NE(frames.error().message.find("cannot read video"), std::string::npos)
      << frames.error().message;
}

TEST(VideoSamplerInput, EmptyAndBadArgumentsAreRefused) {
  EXPECT_EQ(sample_video(Bytes{}, 1.0, 10, 0).error().code, ErrorCode::invalid_request);
  const Bytes some(16, 0);
  EXPECT_EQ(sample_video(some, 0.0, 10, 0).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(sample_video(some, 1.0, 0, 0).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(sample_video(some, 1.0, 1, -1).error().code, ErrorCode::invalid_request);
}

TEST(VideoSamplerInput, PlaylistsAreNotOpened) {
  // An HLS playlist would make the demuxer fetch its segments: refused, nothing is opened.
  const std::string m3u8 =
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nhttp://127.0.0.1:9/segment.ts\n"
      "#EXT-X-ENDLIST\n";
  auto frames = sample_video(Bytes(m3u8.begin(), m3u8.end()), 1.0, 10, 0);
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.error().code, ErrorCode::invalid_request);
}

TEST(PickEvenly, MatchesSegmentSampling) {
  std::vector<double> t;
  for (int i = 0; i < 90; ++i) t.push_back(i * 1000.0 / 30.0);
  EXPECT_EQ(pick_evenly(t, 1.0, 100), (std::vector<size_t>{0, 30, 60}));
  EXPECT_EQ(pick_evenly(t, 2.0, 100), (std::vector<size_t>{0, 15, 30, 45, 60, 75}));
  EXPECT_EQ(pick_evenly(t, 1.0, 1), (std::vector<size_t>{0}));
  EXPECT_EQ(pick_evenly(t, 1000.0, 1000).size(), 90u);
  EXPECT_EQ(pick_evenly({5.0}, 1.0, 3), (std::vector<size_t>{0}));
  EXPECT_TRUE(pick_evenly({}, 1.0, 3).empty());
  // Uneven frame times: the nearest frame to each target.
  EXPECT_EQ(pick_evenly({0, 100, 900, 1100, 1900}, 2.0, 10), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(pick_evenly({0, 100, 900, 1100, 1900}, 1.0, 10), (std::vector<size_t>{0, 2, 4}));
}

}  // namespace
}  // namespace sl
