#include "media/barcode.hpp"

#include <gtest/gtest.h>

#include "test_images.hpp"

namespace sl {
namespace {

using testing::make_image;

TEST(Barcode, RoundTripsValues) {
  for (int64_t v : {0, 1, 2, 255, 256, 12345, 32768, 65535}) {
    EXPECT_EQ(read_barcode(make_image(320, 240, PixelLayout::i420, false, v)), v) << v;
  }
}

TEST(Barcode, WrapsModulo65536) {
  EXPECT_EQ(read_barcode(make_image(320, 240, PixelLayout::i420, false, 65536 + 7)), 7);
  EXPECT_EQ(read_barcode(make_image(320, 240, PixelLayout::i420, false, -1)), 65535);
}

TEST(Barcode, WorksAtAwkwardSizes) {
  EXPECT_EQ(read_barcode(make_image(16, 16, PixelLayout::i420, false, 0xA5A5)), 0xA5A5);
  EXPECT_EQ(read_barcode(make_image(333, 201, PixelLayout::i420, false, 4321)), 4321);
  EXPECT_EQ(read_barcode(make_image(1920, 1080, PixelLayout::i420, false, 999)), 999);
}

TEST(Barcode, BandFollowsSpec) {
  // 1080 rows: band is 1080/8 = 135 rows; cell 0 holds bit 15.
  auto img = make_image(1920, 1080, PixelLayout::i420, false, 0x8000, 100);
  EXPECT_EQ(testing::luma_at(img, 10, 0), 235);
  EXPECT_EQ(testing::luma_at(img, 10, 134), 235);
  EXPECT_EQ(testing::luma_at(img, 10, 135), 100);
  EXPECT_EQ(testing::luma_at(img, 1919, 0), 16);
  // Small pictures: at least 32 rows.
  auto small = make_image(64, 64, PixelLayout::i420, false, 0x8000, 100);
  EXPECT_EQ(testing::luma_at(small, 0, 31), 235);
  EXPECT_EQ(testing::luma_at(small, 0, 32), 100);
}

TEST(Barcode, FullRangeBarsRead) {
  EXPECT_EQ(read_barcode(make_image(320, 240, PixelLayout::i444, true, 777)), 777);
}

TEST(Barcode, PlainPictureIsUnreadable) {
  auto img = make_image(320, 240, PixelLayout::i420, false, 0, 128);
  // Overwrite the band with mid grey: not a barcode.
  auto* y = const_cast<uint8_t*>(img.plane[0]);
  for (int r = 0; r < 40; ++r) std::fill(y + r * img.stride[0], y + r * img.stride[0] + 320, 128);
  EXPECT_EQ(read_barcode(img), -1);
  EXPECT_EQ(read_barcode(VideoImage{}), -1);
}

}  // namespace
}  // namespace sl
