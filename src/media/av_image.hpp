// Bridges between FFmpeg pictures and VideoImage: wrapping a decoded AVFrame without copying,
// and converting any picture to planar I420 with libswscale (pixel format, size and range in
// one pass). Internal to media/.
#pragma once

#include <optional>

#include "core/media_types.hpp"
#include "core/status.hpp"
#include "media/av_ptr.hpp"

namespace sl::av {

// The VideoImage layout of a planar 8-bit YUV format, and whether the format itself implies
// full range (the deprecated YUVJ formats). nullopt for anything else.
struct LayoutInfo {
  PixelLayout layout;
  bool full_range_format;
};
std::optional<LayoutInfo> layout_of(int pixel_format);

// The non-J planar format of a layout.
AVPixelFormat pixel_format_of(PixelLayout layout);

// Wraps a frame of a planar 8-bit YUV format; the image keeps the frame alive (no copy).
// The frame must be in a format layout_of() knows.
VideoImage image_from_frame(FramePtr frame);

// A picture described by raw planes, the common input of convert_to_i420().
struct PlaneView {
  const uint8_t* data[4] = {nullptr, nullptr, nullptr, nullptr};
  int linesize[4] = {0, 0, 0, 0};
  AVPixelFormat format = AV_PIX_FMT_NONE;
  int width = 0;
  int height = 0;
  bool full_range = false;
};
PlaneView view_of(const VideoImage& image);
PlaneView view_of(const AVFrame& frame);

// Converts (and scales) to a newly allocated I420 picture of (width, height) in the given range.
Result<VideoImage> convert_to_i420(const PlaneView& src, int width, int height, bool full_range);

}  // namespace sl::av
