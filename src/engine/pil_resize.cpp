#include "engine/pil_resize.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

namespace sl::engine {
namespace {

// Pillow's fixed point: 8 bits of sample, 2 of headroom, the rest for the fraction.
constexpr int kPrecisionBits = 32 - 8 - 2;

struct Filter {
  double (*weight)(double);
  double support;
};

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= std::numbers::pi;
  return std::sin(x) / x;
}

double box(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }
double bilinear(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}
double hamming(double x) {
  x = std::fabs(x);
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x *= std::numbers::pi;
  return std::sin(x) / x * (0.54 + 0.46 * std::cos(x));
}
double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}
double lanczos(double x) { return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0; }

// Per output sample: the first input sample, how many follow, and their fixed-point weights.
struct Coefficients {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int> weights;  // out_size x ksize
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the whole input range (box = 0..in).
Coefficients coefficients(int in_size, int out_size, const Filter& filter) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = filter.support * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(static_cast<std::size_t>(out_size));
  c.count.resize(static_cast<std::size_t>(out_size));
  c.weights.assign(static_cast<std::size_t>(out_size) * static_cast<std::size_t>(c.ksize), 0);
  std::vector<double> k(static_cast<std::size_t>(c.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    xmin = std::max(xmin, 0);
    int xmax = static_cast<int>(center + support + 0.5);
    xmax = std::min(xmax, in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = filter.weight((x + xmin - center + 0.5) * ss);
      k[static_cast<std::size_t>(x)] = w;
      ww += w;
    }
    int* out = c.weights.data() + static_cast<std::size_t>(xx) * static_cast<std::size_t>(c.ksize);
    for (int x = 0; x < xmax; ++x) {
      double w = k[static_cast<std::size_t>(x)];
      if (ww != 0.0) w /= ww;
      const double fixed = w * (1 << kPrecisionBits);
      out[x] = static_cast<int>(w < 0 ? -0.5 + fixed : 0.5 + fixed);
    }
    c.first[static_cast<std::size_t>(xx)] = xmin;
    c.count[static_cast<std::size_t>(xx)] = xmax;
  }
  return c;
}

std::uint8_t clip8(std::int32_t v) {
  if (v < 0) return 0;
  return static_cast<std::uint8_t>(std::min<std::int32_t>(v >> kPrecisionBits, 255));
}

// Accumulators are 32-bit, as Pillow's (`int ss`): 255 x the sum of |weights| (at most ~1.3 x
// 2^22 for Lanczos) stays below 2^31, so the sums are Pillow's exactly.
constexpr std::int32_t kHalf32 = std::int32_t{1} << (kPrecisionBits - 1);

// Rows [row0, row0 + out.height) of `in`, resampled horizontally into `out`.
void horizontal(const RgbImage& in, int row0, const Coefficients& c, RgbImage& out) {
  for (int y = 0; y < out.height; ++y) {
    const std::uint8_t* src = in.row(y + row0);
    std::uint8_t* dst = out.row(y);
    for (int xx = 0; xx < out.width; ++xx) {
      const int xmin = c.first[static_cast<std::size_t>(xx)];
      const int count = c.count[static_cast<std::size_t>(xx)];
      const int* k = c.weights.data() + static_cast<std::size_t>(xx) * static_cast<std::size_t>(c.ksize);
      const std::uint8_t* p = src + static_cast<std::size_t>(xmin) * 3;
      std::int32_t s0 = kHalf32, s1 = kHalf32, s2 = kHalf32;
      for (int x = 0; x < count; ++x, p += 3) {
        s0 += std::int32_t{p[0]} * k[x];
        s1 += std::int32_t{p[1]} * k[x];
        s2 += std::int32_t{p[2]} * k[x];
      }
      dst[xx * 3 + 0] = clip8(s0);
      dst[xx * 3 + 1] = clip8(s1);
      dst[xx * 3 + 2] = clip8(s2);
    }
  }
}

// `in` resampled vertically into `out`; `shift` is the first input row `in` holds. Tap by tap
// over whole rows (not pixel by pixel over taps): contiguous loops the compiler vectorises,
// the same sums in the same order per pixel.
void vertical(const RgbImage& in, int shift, const Coefficients& c, RgbImage& out) {
  const std::size_t row_bytes = static_cast<std::size_t>(out.width) * 3;
  std::vector<std::int32_t> acc(row_bytes);
  for (int yy = 0; yy < out.height; ++yy) {
    const int ymin = c.first[static_cast<std::size_t>(yy)] - shift;
    const int count = c.count[static_cast<std::size_t>(yy)];
    const int* k = c.weights.data() + static_cast<std::size_t>(yy) * static_cast<std::size_t>(c.ksize);
    std::fill(acc.begin(), acc.end(), kHalf32);
    for (int y = 0; y < count; ++y) {
      const std::uint8_t* src = in.row(y + ymin);
      const std::int32_t w = k[y];
      std::int32_t* a = acc.data();
      for (std::size_t i = 0; i < row_bytes; ++i) a[i] += std::int32_t{src[i]} * w;
    }
    std::uint8_t* dst = out.row(yy);
    for (std::size_t i = 0; i < row_bytes; ++i) dst[i] = clip8(acc[i]);
  }
}

}  // namespace

Result<RgbImage> resize_like_pil(const RgbImage& image, int width, int height, int pil_filter) {
  static constexpr Filter filters[] = {{nullptr, 0.0}, {lanczos, 3.0}, {bilinear, 1.0},
                                       {bicubic, 2.0}, {box, 0.5},     {hamming, 1.0}};
  if (pil_filter < 1 || pil_filter > 5)
    return make_error(ErrorCode::invalid_request,
                      "resample filter " + std::to_string(pil_filter) + " is not supported (1..5: Pillow's convolutions)");
  if (width <= 0 || height <= 0 || image.width <= 0 || image.height <= 0)
    return make_error(ErrorCode::invalid_request, "resize: empty size");
  if (width == image.width && height == image.height) return image;
  const Filter& filter = filters[pil_filter];
  const Coefficients horiz = coefficients(image.width, width, filter);
  const Coefficients vert = coefficients(image.height, height, filter);

  if (width == image.width) {
    RgbImage out(width, height);
    vertical(image, 0, vert, out);
    return out;
  }
  if (height == image.height) {
    RgbImage out(width, height);
    horizontal(image, 0, horiz, out);
    return out;
  }
  // Only the input rows the vertical pass reads (Pillow's ybox_first..ybox_last).
  const int first = vert.first.front();
  const int last = vert.first.back() + vert.count.back();
  RgbImage tmp(width, last - first);
  horizontal(image, first, horiz, tmp);
  RgbImage out(width, height);
  vertical(tmp, first, vert, out);
  return out;
}

}  // namespace sl::engine
