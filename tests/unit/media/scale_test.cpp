#include "media/scale.hpp"

#include <gtest/gtest.h>

#include "test_images.hpp"

namespace sl {
namespace {

using testing::luma_at;
using testing::make_image;

TEST(FitSize, KeepsSizeThatFits) {
  EXPECT_EQ(fit_size(640, 360, 1'000'000), std::make_pair(640, 360));
  EXPECT_EQ(fit_size(640, 360, 640 * 360), std::make_pair(640, 360));
  EXPECT_EQ(fit_size(641, 361, 1'000'000), std::make_pair(641, 361));  // never upscales
  EXPECT_EQ(fit_size(640, 360, 0), std::make_pair(640, 360));          // no limit
}

TEST(FitSize, ExactRatios) {
  EXPECT_EQ(fit_size(1920, 1080, 1280 * 720), std::make_pair(1280, 720));
  EXPECT_EQ(fit_size(4000, 3000, 400 * 300), std::make_pair(400, 300));
  EXPECT_EQ(fit_size(3840, 2160, 640 * 360), std::make_pair(640, 360));
}

TEST(FitSize, EvenWithinLimitAndAspect) {
  for (auto [w, h, max] : {std::tuple{1921, 1081, 500'000}, std::tuple{1000, 10, 100},
                           std::tuple{333, 777, 10'000}, std::tuple{7680, 4320, 1'003'520}}) {
    auto [fw, fh] = fit_size(w, h, max);
    EXPECT_EQ(fw % 2, 0) << w << "x" << h;
    EXPECT_EQ(fh % 2, 0) << w << "x" << h;
    EXPECT_GE(fw, 2);
    EXPECT_GE(fh, 2);
    EXPECT_LE(static_cast<int64_t>(fw) * fh, max);
    if (fw > 20 && fh > 20) {
      EXPECT_NEAR(static_cast<double>(fw) / fh, static_cast<double>(w) / h, 0.05);
    }
  }
  EXPECT_EQ(fit_size(100, 100, 1), std::make_pair(2, 2));
}

TEST(Scale, DownscaleKeepsBarcodeAndGoesFullRange) {
  auto img = make_image(640, 480, PixelLayout::i420, false, 0x8001);
  auto small = scale_image(img, 320, 240);
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_EQ(small->width, 320);
  EXPECT_EQ(small->height, 240);
  EXPECT_EQ(small->layout, PixelLayout::i420);
  EXPECT_TRUE(small->full_range);
  EXPECT_EQ(read_barcode(*small), 0x8001);
  EXPECT_GE(luma_at(*small, 10, 10), 250);
  EXPECT_LE(luma_at(*small, 100, 10), 5);
}

TEST(Scale, SameSizeConvertsRangeAndLayout) {
  for (auto layout : {PixelLayout::i420, PixelLayout::i422, PixelLayout::i444}) {
    auto img = make_image(320, 240, layout, false, 1234);
    auto out = scale_image(img, 320, 240);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->layout, PixelLayout::i420);
    EXPECT_EQ(read_barcode(*out), 1234);
    EXPECT_LE(luma_at(*out, 10, 10), 5);  // the 16 of video levels became 0
  }
}

TEST(Scale, OddSourceToEvenTarget) {
  auto img = make_image(641, 361, PixelLayout::i420, false, 99);
  auto [w, h] = fit_size(641, 361, 320 * 180);
  auto out = scale_image(img, w, h);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(read_barcode(*out), 99);
}

TEST(Scale, RejectsEmpty) {
  EXPECT_FALSE(scale_image(VideoImage{}, 10, 10).ok());
  EXPECT_FALSE(scale_image(make_image(64, 64, PixelLayout::i420, false, 0), 0, 10).ok());
}

}  // namespace
}  // namespace sl
