#include "media/jpeg.hpp"

#include <gtest/gtest.h>

#include "test_images.hpp"

namespace sl {
namespace {

using testing::luma_at;
using testing::make_image;

TEST(Jpeg, RoundTripKeepsBarcodeAndExpandsRange) {
  // Barcode 0x8001: cell 0 and cell 15 white, the rest black.
  auto img = make_image(320, 240, PixelLayout::i420, false, 0x8001);
  auto jpeg = encode_jpeg(img, 90);
  ASSERT_TRUE(jpeg.ok()) << jpeg.error().message;
  ASSERT_GT(jpeg->size(), 100u);
  EXPECT_EQ((*jpeg)[0], 0xFF);
  EXPECT_EQ((*jpeg)[1], 0xD8);
  auto back = decode_jpeg(*jpeg);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->full_range);
  EXPECT_EQ(back->width, 320);
  EXPECT_EQ(back->height, 240);
  EXPECT_EQ(back->layout, PixelLayout::i420);
  EXPECT_EQ(read_barcode(*back), 0x8001);
  // Video levels 16/235 come back as full-range 0/255.
  EXPECT_GE(luma_at(*back, 10, 16), 250);   // cell 0, white
  EXPECT_LE(luma_at(*back, 100, 16), 5);    // cell 5, black
  // Mid grey 128 maps to (128-16)*255/219 = 130.
  EXPECT_NEAR(luma_at(*back, 160, 200), 130, 3);
  EXPECT_NEAR(back->plane[1][60 * back->stride[1] + 80], 128, 3);
}

TEST(Jpeg, FullRangeInputIsNotExpanded) {
  auto img = make_image(320, 240, PixelLayout::i420, true, 0x8001, 128);
  auto jpeg = encode_jpeg(img);
  ASSERT_TRUE(jpeg.ok());
  auto back = decode_jpeg(*jpeg);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(read_barcode(*back), 0x8001);
  EXPECT_NEAR(luma_at(*back, 160, 200), 128, 3);
}

TEST(Jpeg, EncodesEveryLayout) {
  for (auto layout : {PixelLayout::i420, PixelLayout::i422, PixelLayout::i444}) {
    auto img = make_image(256, 144, layout, false, 4242);
    auto jpeg = encode_jpeg(img, 80);
    ASSERT_TRUE(jpeg.ok()) << jpeg.error().message;
    auto back = decode_jpeg(*jpeg);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->layout, layout);
    EXPECT_EQ(read_barcode(*back), 4242);
  }
}

TEST(Jpeg, OddSizes) {
  for (auto layout : {PixelLayout::i420, PixelLayout::i422, PixelLayout::i444}) {
    auto img = make_image(321, 241, layout, false, 17);
    auto jpeg = encode_jpeg(img);
    ASSERT_TRUE(jpeg.ok()) << jpeg.error().message;
    auto back = decode_jpeg(*jpeg);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->width, 321);
    EXPECT_EQ(back->height, 241);
    EXPECT_EQ(read_barcode(*back), 17);
  }
  auto tiny = encode_jpeg(make_image(1, 1, PixelLayout::i420, false, 0));
  EXPECT_TRUE(tiny.ok());
}

TEST(Jpeg, RejectsGarbageAndEmpty) {
  EXPECT_FALSE(decode_jpeg(Bytes{}).ok());
  EXPECT_FALSE(decode_jpeg(Bytes{1, 2, 3, 4, 5}).ok());
  EXPECT_FALSE(encode_jpeg(VideoImage{}).ok());
}

}  // namespace
}  // namespace sl
