#include "engine/rgb_image.hpp"

#include <algorithm>
#include <array>

#include "core/video_levels.hpp"

namespace sl::engine {
namespace {

// libjpeg's jdcolor.c tables (JFIF YCbCr, 16-bit fixed point).
struct YccTables {
  std::array<int, 256> cr_r{}, cb_b{};
  std::array<std::int64_t, 256> cr_g{}, cb_g{};
  constexpr YccTables() {
    constexpr int kScaleBits = 16;
    constexpr std::int64_t kHalf = std::int64_t{1} << (kScaleBits - 1);
    auto fix = [](double v) { return static_cast<std::int64_t>(v * (1L << kScaleBits) + 0.5); };
    for (int i = 0; i < 256; ++i) {
      const std::int64_t x = i - 128;
      cr_r[static_cast<std::size_t>(i)] = static_cast<int>((fix(1.40200) * x + kHalf) >> kScaleBits);
      cb_b[static_cast<std::size_t>(i)] = static_cast<int>((fix(1.77200) * x + kHalf) >> kScaleBits);
      cr_g[static_cast<std::size_t>(i)] = -fix(0.71414) * x;
      cb_g[static_cast<std::size_t>(i)] = -fix(0.34414) * x + kHalf;
    }
  }
};
constexpr YccTables kYcc{};

std::uint8_t clamp8(int v) { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); }

// One chroma plane brought to full resolution as libjpeg-turbo's upsamplers do (jdsample.c):
// the triangle ("fancy") filter when the plane is wider than 2 samples, else replication; the
// rows and columns outside the picture repeat the edge.
class ChromaUpsampler {
 public:
  ChromaUpsampler(const std::uint8_t* plane, int stride, int width, int height, PixelLayout layout,
                  const std::array<std::uint8_t, 256>* levels)
      : plane_(plane), stride_(stride), width_(width), layout_(layout), levels_(levels) {
    cw_ = layout == PixelLayout::i444 ? width : (width + 1) / 2;
    ch_ = layout == PixelLayout::i420 ? (height + 1) / 2 : height;
    fancy_ = cw_ > 2;
  }

  // Row y of the full-resolution plane, into out[0..width).
  void row(int y, std::uint8_t* out) const {
    if (layout_ == PixelLayout::i444) {
      const std::uint8_t* in = src(y);
      for (int x = 0; x < width_; ++x) out[x] = level(in[x]);
      return;
    }
    std::vector<int> sums(static_cast<std::size_t>(cw_));
    int scale;  // the column sums carry this factor
    if (layout_ == PixelLayout::i420 && fancy_) {
      const int r = y / 2;
      const int other = std::clamp(y % 2 == 0 ? r - 1 : r + 1, 0, ch_ - 1);
      const std::uint8_t* near = src(r);
      const std::uint8_t* far = src(other);
      for (int x = 0; x < cw_; ++x) sums[static_cast<std::size_t>(x)] = level(near[x]) * 3 + level(far[x]);
      scale = 4;
    } else {
      const std::uint8_t* in = src(layout_ == PixelLayout::i420 ? y / 2 : y);
      for (int x = 0; x < cw_; ++x) sums[static_cast<std::size_t>(x)] = level(in[x]);
      scale = 1;
    }
    std::vector<std::uint8_t> full(static_cast<std::size_t>(cw_) * 2);
    if (!fancy_) {
      for (int x = 0; x < cw_; ++x) full[2 * x] = full[2 * x + 1] = static_cast<std::uint8_t>(sums[static_cast<std::size_t>(x)]);
    } else if (scale == 4) {  // h2v2_fancy_upsample's horizontal step
      for (int x = 0; x < cw_; ++x) {
        const int t = sums[static_cast<std::size_t>(x)];
        const int l = x > 0 ? sums[static_cast<std::size_t>(x - 1)] : -1;
        const int r = x + 1 < cw_ ? sums[static_cast<std::size_t>(x + 1)] : -1;
        full[2 * x] = static_cast<std::uint8_t>(l < 0 ? (t * 4 + 8) >> 4 : (t * 3 + l + 8) >> 4);
        full[2 * x + 1] = static_cast<std::uint8_t>(r < 0 ? (t * 4 + 7) >> 4 : (t * 3 + r + 7) >> 4);
      }
    } else {  // h2v1_fancy_upsample
      for (int x = 0; x < cw_; ++x) {
        const int t = sums[static_cast<std::size_t>(x)];
        full[2 * x] = static_cast<std::uint8_t>(x == 0 ? t : (t * 3 + sums[static_cast<std::size_t>(x - 1)] + 1) >> 2);
        full[2 * x + 1] =
            static_cast<std::uint8_t>(x + 1 == cw_ ? t : (t * 3 + sums[static_cast<std::size_t>(x + 1)] + 2) >> 2);
      }
    }
    std::copy_n(full.begin(), width_, out);
  }

 private:
  const std::uint8_t* src(int r) const { return plane_ + static_cast<std::ptrdiff_t>(r) * stride_; }
  int level(std::uint8_t v) const { return levels_ ? (*levels_)[v] : v; }

  const std::uint8_t* plane_;
  int stride_, width_;
  PixelLayout layout_;
  const std::array<std::uint8_t, 256>* levels_;
  int cw_ = 0, ch_ = 0;
  bool fancy_ = false;
};

}  // namespace

Result<RgbImage> rgb_from_video_image(const VideoImage& image) {
  if (!image.valid() || !image.plane[1] || !image.plane[2])
    return make_error(ErrorCode::invalid_request, "engine: empty picture");
  const auto* luma_levels = image.full_range ? nullptr : &kVideoToFullRange.luma;
  const auto* chroma_levels = image.full_range ? nullptr : &kVideoToFullRange.chroma;
  const ChromaUpsampler cb(image.plane[1], image.stride[1], image.width, image.height, image.layout, chroma_levels);
  const ChromaUpsampler cr(image.plane[2], image.stride[2], image.width, image.height, image.layout, chroma_levels);
  RgbImage out(image.width, image.height);
  std::vector<std::uint8_t> cb_row(static_cast<std::size_t>(image.width)), cr_row(cb_row.size());
  for (int y = 0; y < image.height; ++y) {
    cb.row(y, cb_row.data());
    cr.row(y, cr_row.data());
    const std::uint8_t* luma = image.plane[0] + static_cast<std::ptrdiff_t>(y) * image.stride[0];
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < image.width; ++x) {
      const int l = luma_levels ? (*luma_levels)[luma[x]] : luma[x];
      const std::size_t u = cb_row[static_cast<std::size_t>(x)], v = cr_row[static_cast<std::size_t>(x)];
      dst[3 * x + 0] = clamp8(l + kYcc.cr_r[v]);
      dst[3 * x + 1] = clamp8(l + static_cast<int>((kYcc.cb_g[u] + kYcc.cr_g[v]) >> 16));
      dst[3 * x + 2] = clamp8(l + kYcc.cb_b[u]);
    }
  }
  return out;
}

}  // namespace sl::engine
