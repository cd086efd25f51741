#include "test_jpegs.hpp"

#include <cstdlib>
#include <memory>
#include <vector>

#include "media/barcode.hpp"
#include "media/jpeg.hpp"

namespace sl::testing {

SharedBytes make_test_jpeg(int64_t index, int width, int height) {
  auto planes = std::make_shared<std::vector<uint8_t>>();
  const int cw = (width + 1) / 2;
  const int ch = (height + 1) / 2;
  planes->resize(static_cast<size_t>(width * height + 2 * cw * ch));
  uint8_t* y = planes->data();
  uint8_t* u = y + width * height;
  uint8_t* v = u + cw * ch;
  for (int r = 0; r < height; ++r) {
    for (int c = 0; c < width; ++c) y[r * width + c] = static_cast<uint8_t>(40 + (r + c + index) % 150);
  }
  for (int i = 0; i < cw * ch; ++i) {
    u[i] = static_cast<uint8_t>(100 + index % 50);
    v[i] = 140;
  }
  draw_barcode(y, width, width, height, index);
  VideoImage image;
  image.width = width;
  image.height = height;
  image.layout = PixelLayout::i420;
  image.full_range = true;
  image.plane = {y, u, v};
  image.stride = {width, cw, cw};
  image.owner = planes;
  auto jpeg = encode_jpeg(image, 90);
  if (!jpeg.ok()) std::abort();
  return std::make_shared<const Bytes>(std::move(*jpeg));
}

MediaFrame make_test_frame(int64_t index, int64_t timestamp_ms, int width, int height) {
  return MediaFrame{index, timestamp_ms, width, height, make_test_jpeg(index, width, height)};
}

}  // namespace sl::testing
