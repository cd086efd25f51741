#include "media/scale.hpp"

#include <algorithm>
#include <cmath>

#include "media/av_image.hpp"

namespace sl {

std::pair<int, int> fit_size(int width, int height, int64_t max_pixels) {
  if (width <= 0 || height <= 0) return {width, height};
  if (max_pixels <= 0 || static_cast<int64_t>(width) * height <= max_pixels) return {width, height};
  const double s = std::sqrt(static_cast<double>(max_pixels) /
                             (static_cast<double>(width) * static_cast<double>(height)));
  // The epsilon keeps exact ratios exact (1920x1080 into 1280*720 pixels is 1280x720, not 1278).
  auto even_floor = [](double v) { return std::max(2, (static_cast<int>(v + 1e-6) / 2) * 2); };
  int w = even_floor(width * s);
  int h = even_floor(height * s);
  while (static_cast<int64_t>(w) * h > max_pixels && (w > 2 || h > 2)) {
    // Shrink the side that is larger relative to the source aspect first.
    if (static_cast<int64_t>(w) * height >= static_cast<int64_t>(h) * width && w > 2) {
      w -= 2;
    } else if (h > 2) {
      h -= 2;
    } else {
      w -= 2;
    }
  }
  return {w, h};
}

Result<VideoImage> scale_image(const VideoImage& image, int width, int height) {
  if (!image.valid()) return make_error(ErrorCode::internal, "scale: empty image");
  if (width <= 0 || height <= 0) return make_error(ErrorCode::internal, "scale: bad size");
  return av::convert_to_i420(av::view_of(image), width, height, /*full_range=*/true);
}

}  // namespace sl
