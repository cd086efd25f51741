#include "media/barcode.hpp"

#include <algorithm>
#include <cstring>

namespace sl {

namespace {

constexpr int kCells = 16;
constexpr int kWhite = 235;
constexpr int kBlack = 16;
constexpr int kThreshold = 128;
// A cell whose mean lies this close to the threshold is neither black nor white: the band is
// not a barcode (a camera picture), or the picture is too damaged to trust.
constexpr int kAmbiguousMargin = 40;

int band_height(int height) { return std::min(height, std::max(32, height / 8)); }

}  // namespace

void draw_barcode(uint8_t* luma, int stride, int width, int height, int64_t index) {
  if (!luma || width <= 0 || height <= 0) return;
  const auto value = static_cast<uint32_t>(((index % 65536) + 65536) % 65536);
  const int band = band_height(height);
  // Pixel x belongs to cell floor(x*16/W), exactly as the ffmpeg geq expression of SPEC §7.
  for (int x = 0; x < width; ++x) {
    const int cell = static_cast<int>(static_cast<int64_t>(x) * kCells / width);
    luma[x] = ((value >> (15 - cell)) & 1u) ? kWhite : kBlack;
  }
  for (int y = 1; y < band; ++y) {
    std::memcpy(luma + static_cast<ptrdiff_t>(y) * stride, luma, static_cast<size_t>(width));
  }
}

int64_t read_barcode(const VideoImage& image) {
  if (!image.valid() || image.width < kCells || image.height < 2) return -1;
  const int band = band_height(image.height);
  // Average the middle half of each cell (both directions) rather than one pixel: compression
  // ringing at cell edges and noise then cannot flip a bit.
  const int y0 = band / 4;
  const int y1 = std::max(y0 + 1, band - band / 4);
  int64_t value = 0;
  for (int i = 0; i < kCells; ++i) {
    const int cx0 = static_cast<int>(static_cast<int64_t>(i) * image.width / kCells);
    const int cx1 = static_cast<int>(static_cast<int64_t>(i + 1) * image.width / kCells);
    const int w = cx1 - cx0;
    const int x0 = cx0 + w / 4;
    const int x1 = std::max(x0 + 1, cx1 - w / 4);
    int64_t sum = 0;
    for (int y = y0; y < y1; ++y) {
      const uint8_t* row = image.plane[0] + static_cast<ptrdiff_t>(y) * image.stride[0];
      for (int x = x0; x < x1; ++x) sum += row[x];
    }
    const int64_t mean = sum / (static_cast<int64_t>(y1 - y0) * (x1 - x0));
    if (mean > kThreshold - kAmbiguousMargin && mean < kThreshold + kAmbiguousMargin) return -1;
    value = (value << 1) | (mean >= kThreshold ? 1 : 0);
  }
  return value;
}

}  // namespace sl
