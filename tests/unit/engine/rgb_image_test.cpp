// YUV -> RGB as a client decoding the same picture from a JPEG would see it: checked against
// libjpeg-turbo itself (the planes of a decoded JPEG converted here must equal libjpeg's own RGB
// decode of that JPEG), for every layout, odd sizes and limited range.
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <memory>
#include <random>

#include "core/video_levels.hpp"
#include "engine/rgb_image.hpp"

namespace sl::engine {
namespace {

struct Planes {
  std::array<std::vector<std::uint8_t>, 3> data;
  VideoImage image;
};

Planes random_picture(int w, int h, PixelLayout layout, bool full_range, unsigned seed) {
  std::mt19937 rng(seed);
  Planes p;
  const int cw = layout == PixelLayout::i444 ? w : (w + 1) / 2;
  const int ch = layout == PixelLayout::i420 ? (h + 1) / 2 : h;
  // Strides wider than the rows and spare rows below, as decoders give them: libjpeg-turbo's
  // tjCompressFromYUVPlanes reads whole 8x8 blocks, past the last column and row of odd sizes.
  const int stride_pad = 32;
  p.image.width = w;
  p.image.height = h;
  p.image.layout = layout;
  p.image.full_range = full_range;
  for (std::size_t i = 0; i < 3; ++i) {
    const int pw = i == 0 ? w : cw, ph = i == 0 ? h : ch;
    p.image.stride[i] = pw + stride_pad;
    p.data[i].resize(static_cast<std::size_t>(p.image.stride[i]) * static_cast<std::size_t>(ph + 16));
    for (auto& b : p.data[i]) b = static_cast<std::uint8_t>(rng() % 256);
    p.image.plane[i] = p.data[i].data();
  }
  return p;
}

int tj_samp(PixelLayout layout) {
  return layout == PixelLayout::i420 ? TJSAMP_420 : layout == PixelLayout::i422 ? TJSAMP_422 : TJSAMP_444;
}

// A JPEG of the planes, then libjpeg-turbo's own decode of it twice: to planes (no upsampling,
// no colour conversion) and to RGB (what PIL gets). Converting the first must give the second.
struct Decoded {
  Planes yuv;
  std::vector<std::uint8_t> rgb;
};

Decoded libjpeg_decode(const Planes& p) {
  using Handle = std::unique_ptr<void, int (*)(tjhandle)>;
  Handle enc(tjInitCompress(), tjDestroy), dec(tjInitDecompress(), tjDestroy);
  std::array<const unsigned char*, 3> src{p.data[0].data(), p.data[1].data(), p.data[2].data()};
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  EXPECT_EQ(tjCompressFromYUVPlanes(enc.get(), src.data(), p.image.width, p.image.stride.data(), p.image.height,
                                    tj_samp(p.image.layout), &jpeg, &size, 90, 0),
            0);
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(jpeg, tjFree);
  Decoded d;
  d.yuv.image = p.image;
  d.yuv.image.full_range = true;
  std::array<unsigned char*, 3> dst{};
  for (std::size_t i = 0; i < 3; ++i) {
    const int pw = tjPlaneWidth(static_cast<int>(i), p.image.width, tj_samp(p.image.layout));
    const int ph = tjPlaneHeight(static_cast<int>(i), p.image.height, tj_samp(p.image.layout));
    d.yuv.image.stride[i] = pw;
    d.yuv.data[i].resize(static_cast<std::size_t>(pw) * static_cast<std::size_t>(ph));
    dst[i] = d.yuv.data[i].data();
    d.yuv.image.plane[i] = d.yuv.data[i].data();
  }
  EXPECT_EQ(tjDecompressToYUVPlanes(dec.get(), jpeg, size, dst.data(), p.image.width, d.yuv.image.stride.data(),
                                    p.image.height, 0),
            0);
  d.rgb.resize(static_cast<std::size_t>(p.image.width) * static_cast<std::size_t>(p.image.height) * 3);
  EXPECT_EQ(tjDecompress2(dec.get(), jpeg, size, d.rgb.data(), p.image.width, 0, p.image.height, TJPF_RGB, 0), 0)
      << tjGetErrorStr2(dec.get());
  return d;
}

TEST(RgbImage, MatchesLibjpegDecodingAJpegOfThePicture) {
  unsigned seed = 1;
  for (PixelLayout layout : {PixelLayout::i420, PixelLayout::i422, PixelLayout::i444})
    for (auto [w, h] : {std::pair{16, 16}, {33, 17}, {7, 5}, {4, 3}, {3, 9}, {1, 1}, {2, 6}, {40, 31}}) {
      Decoded d = libjpeg_decode(random_picture(w, h, layout, true, seed++));
      auto rgb = rgb_from_video_image(d.yuv.image);
      ASSERT_TRUE(rgb.ok());
      EXPECT_EQ(rgb->data, d.rgb) << "layout " << int(layout) << " " << w << "x" << h;
    }
}

TEST(RgbImage, VideoLevelsAreExpandedFirst) {
  for (PixelLayout layout : {PixelLayout::i420, PixelLayout::i444}) {
    Planes limited = random_picture(9, 7, layout, false, 77);
    Planes full = limited;
    full.image.full_range = true;
    for (std::size_t i = 0; i < 3; ++i) {
      for (auto& b : full.data[i]) b = i == 0 ? kVideoToFullRange.luma[b] : kVideoToFullRange.chroma[b];
      full.image.plane[i] = full.data[i].data();
    }
    auto a = rgb_from_video_image(limited.image);
    auto b = rgb_from_video_image(full.image);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->data, b->data);
  }
}

TEST(RgbImage, RefusesAnEmptyPicture) { EXPECT_FALSE(rgb_from_video_image(VideoImage{}).ok()); }

}  // namespace
}  // namespace sl::engine
