#include "media/mp4_mux.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_jpegs.hpp"

namespace sl {
namespace {

using testing::make_test_jpeg;

// Top-level box types in file order (32-bit sizes are enough for test files).
std::vector<std::string> top_level_boxes(const Bytes& file) {
  std::vector<std::string> types;
  size_t pos = 0;
  while (pos + 8 <= file.size()) {
    const uint32_t size = (uint32_t{file[pos]} << 24) | (uint32_t{file[pos + 1]} << 16) |
                          (uint32_t{file[pos + 2]} << 8) | file[pos + 3];
    types.emplace_back(reinterpret_cast<const char*>(file.data() + pos + 4), 4);
    if (size < 8) break;
    pos += size;
  }
  EXPECT_EQ(pos, file.size());
  return types;
}

std::vector<TimedJpeg> clip(std::vector<int64_t> timestamps, int width = 128, int height = 96) {
  std::vector<TimedJpeg> frames;
  int64_t index = 100;
  for (int64_t ts : timestamps) frames.push_back(TimedJpeg{make_test_jpeg(index++, width, height), ts});
  return frames;
}

TEST(Mp4Mux, JpegsBecomeFaststartH264AtTheirOwnTimes) {
  auto mp4 = jpegs_to_mp4(clip({12500, 13000, 13500, 14250, 15000}));
  ASSERT_TRUE(mp4.ok()) << mp4.error().message;
  auto boxes = top_level_boxes(*mp4);
  ASSERT_GE(boxes.size(), 3u);
  EXPECT_EQ(boxes.front(), "ftyp");
  auto moov = std::find(boxes.begin(), boxes.end(), "moov");
  auto mdat = std::find(boxes.begin(), boxes.end(), "mdat");
  ASSERT_NE(moov, boxes.end());
  ASSERT_NE(mdat, boxes.end());
  EXPECT_LT(moov, mdat);

  auto info = probe_mp4(*mp4);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->codec, "h264");
  EXPECT_EQ(info->width, 128);
  EXPECT_EQ(info->height, 96);
  EXPECT_EQ(info->pts_ms, (std::vector<int64_t>{0, 500, 1000, 1750, 2500}));
  EXPECT_GE(info->keyframes, 1);
}

TEST(Mp4Mux, SameInputSameBytes) {
  const auto frames = clip({0, 1000, 2000});
  auto a = jpegs_to_mp4(frames);
  auto b = jpegs_to_mp4(frames);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(Mp4Mux, SingleFrameAndTiedTimestamps) {
  auto one = jpegs_to_mp4(clip({777}));
  ASSERT_TRUE(one.ok()) << one.error().message;
  auto one_info = probe_mp4(*one);
  ASSERT_TRUE(one_info.ok());
  EXPECT_EQ(one_info->pts_ms, (std::vector<int64_t>{0}));

  auto tied = jpegs_to_mp4(clip({5000, 5000, 5040}));
  ASSERT_TRUE(tied.ok()) << tied.error().message;
  auto tied_info = probe_mp4(*tied);
  ASSERT_TRUE(tied_info.ok());
  EXPECT_EQ(tied_info->pts_ms, (std::vector<int64_t>{0, 1, 40}));
}

TEST(Mp4Mux, OddAndMixedSizesAreBroughtToOneEvenSize) {
  std::vector<TimedJpeg> frames = clip({0, 100}, 131, 75);
  frames.push_back(TimedJpeg{make_test_jpeg(7, 64, 48), 200});
  auto mp4 = jpegs_to_mp4(frames);
  ASSERT_TRUE(mp4.ok()) << mp4.error().message;
  auto info = probe_mp4(*mp4);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 130);
  EXPECT_EQ(info->height, 74);
  EXPECT_EQ(info->pts_ms.size(), 3u);
}

TEST(Mp4Mux, Errors) {
  EXPECT_FALSE(jpegs_to_mp4({}).ok());
  auto bad = jpegs_to_mp4({TimedJpeg{std::make_shared<const Bytes>(Bytes{1, 2, 3}), 0}});
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(mux_mp4(CodecConfig{}, {}).ok());
  EXPECT_FALSE(probe_mp4(Bytes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}).ok());
}

}  // namespace
}  // namespace sl
