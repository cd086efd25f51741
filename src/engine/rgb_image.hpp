// An 8-bit RGB picture (interleaved, rows packed: data[(y * width + x) * 3 + c]), the form the
// vision preprocessing works on, and its conversion from the planar YUV pictures the rest of
// sightline passes around (core/media_types.hpp).
//
// rgb_from_video_image() reproduces what a client gets when it decodes one of sightline's JPEG
// renditions of the same picture with PIL (libjpeg-turbo), minus the DCT quantisation: video
// levels are first expanded to full range with media's JPEG tables, chroma is upsampled with
// libjpeg's "fancy" (triangle) filter for 4:2:0 and 4:2:2, and YCbCr -> RGB uses libjpeg's
// fixed-point JFIF (BT.601 full-range) tables. So a frame handed over as a decoded picture and
// the same frame sent as a JPEG to Hugging Face's processor give the same pixels up to the JPEG
// loss. Pure functions; thread-safe. Errors: invalid_request for an empty picture.
#pragma once

#include <cstdint>
#include <vector>

#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl::engine {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> data;  // width * height * 3

  RgbImage() = default;
  RgbImage(int w, int h) : width(w), height(h), data(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3) {}
  std::uint8_t* row(int y) { return data.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(width) * 3; }
  const std::uint8_t* row(int y) const {
    return data.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(width) * 3;
  }
};

Result<RgbImage> rgb_from_video_image(const VideoImage& image);

}  // namespace sl::engine
