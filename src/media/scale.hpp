// Downscaling with libswscale. Output is always full-range I420 with even dimensions, which is
// what the JPEG encoder and the MP4 muxer want.
#pragma once

#include <cstdint>
#include <utility>

#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl {

// Largest (w, h) with the source aspect ratio, w*h <= max_pixels, both even and >= 2.
// Returns the source size unchanged when it already fits.
std::pair<int, int> fit_size(int width, int height, int64_t max_pixels);

// Scales to exactly (width, height).
Result<VideoImage> scale_image(const VideoImage& image, int width, int height);

}  // namespace sl
