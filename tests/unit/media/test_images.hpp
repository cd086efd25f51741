// Pictures for media tests: flat grey planar YUV with the SPEC §7 barcode drawn in.
#pragma once

#include <memory>

#include "core/media_types.hpp"
#include "media/barcode.hpp"

namespace sl::testing {

inline VideoImage make_image(int width, int height, PixelLayout layout, bool full_range,
                             int64_t barcode, uint8_t luma = 128) {
  const int cw = layout == PixelLayout::i444 ? width : (width + 1) / 2;
  const int ch = layout == PixelLayout::i420 ? (height + 1) / 2 : height;
  // Padded strides, as decoders produce, so code that ignores stride shows up.
  const int ys = width + 24;
  const int cs = cw + 8;
  const size_t y_size = static_cast<size_t>(ys) * static_cast<size_t>(height);
  const size_t c_size = static_cast<size_t>(cs) * static_cast<size_t>(ch);
  auto buf = std::make_shared<Bytes>(y_size + 2 * c_size, uint8_t{128});
  std::fill(buf->begin(), buf->begin() + static_cast<ptrdiff_t>(y_size), luma);
  VideoImage img;
  img.width = width;
  img.height = height;
  img.layout = layout;
  img.full_range = full_range;
  img.plane = {buf->data(), buf->data() + y_size, buf->data() + y_size + c_size};
  img.stride = {ys, cs, cs};
  draw_barcode(buf->data(), ys, width, height, barcode);
  if (full_range) {
    // Full-range pictures carry 0/255 bars.
    for (size_t i = 0; i < y_size; ++i) {
      if ((*buf)[i] == 16) (*buf)[i] = 0;
      else if ((*buf)[i] == 235) (*buf)[i] = 255;
    }
  }
  img.owner = buf;
  return img;
}

// Luma at (x, y).
inline int luma_at(const VideoImage& img, int x, int y) {
  return img.plane[0][static_cast<ptrdiff_t>(y) * img.stride[0] + x];
}

}  // namespace sl::testing
