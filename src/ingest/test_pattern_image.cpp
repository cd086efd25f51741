#include "ingest/test_pattern_image.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "media/barcode.hpp"

namespace sl {

VideoImage render_test_pattern(int width, int height, int64_t barcode, int64_t phase) {
  const int cw = (width + 1) / 2;
  const int ch = (height + 1) / 2;
  const size_t y_size = static_cast<size_t>(width) * static_cast<size_t>(height);
  const size_t c_size = static_cast<size_t>(cw) * static_cast<size_t>(ch);
  auto buffer = std::make_shared<Bytes>(y_size + 2 * c_size);
  uint8_t* y_plane = buffer->data();
  uint8_t* u_plane = y_plane + y_size;
  uint8_t* v_plane = u_plane + c_size;

  // Every row of the background is the same: one row computed, then copied.
  for (int x = 0; x < width; ++x) {
    const int64_t t = (static_cast<int64_t>(x) * 160 / std::max(1, width) + phase * 2) % 320;
    y_plane[x] = static_cast<uint8_t>(40 + (t < 160 ? t : 319 - t));
  }
  for (int y = 1; y < height; ++y) {
    std::memcpy(y_plane + static_cast<size_t>(y) * static_cast<size_t>(width), y_plane,
                static_cast<size_t>(width));
  }
  std::memset(u_plane, 128, c_size);
  std::memset(v_plane, 128, c_size);

  // An orange box crossing left to right below the barcode band, once every 4 seconds at 30 fps.
  const int band = std::min(height, std::max(32, height / 8));
  const int box = std::max(2, std::min(width, height - band) / 4) & ~1;
  if (height - band >= box) {
    const int span = std::max(1, width - box);
    const int x0 = static_cast<int>((phase * width / 120) % span) & ~1;
    const int y0 = ((band + (height - band - box) / 2)) & ~1;
    for (int y = y0; y < y0 + box; ++y) {
      std::memset(y_plane + static_cast<size_t>(y) * static_cast<size_t>(width) + x0, 170,
                  static_cast<size_t>(box));
    }
    for (int y = y0 / 2; y < (y0 + box) / 2; ++y) {
      std::memset(u_plane + static_cast<size_t>(y) * static_cast<size_t>(cw) + x0 / 2, 60,
                  static_cast<size_t>(box / 2));
      std::memset(v_plane + static_cast<size_t>(y) * static_cast<size_t>(cw) + x0 / 2, 200,
                  static_cast<size_t>(box / 2));
    }
  }
  draw_barcode(y_plane, width, width, height, barcode);

  VideoImage image;
  image.width = width;
  image.height = height;
  image.layout = PixelLayout::i420;
  image.full_range = false;
  image.plane = {y_plane, u_plane, v_plane};
  image.stride = {width, cw, cw};
  image.owner = std::move(buffer);
  return image;
}

}  // namespace sl
