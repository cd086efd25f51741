#include "media/av_image.hpp"

#include <string>

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace sl::av {

std::optional<LayoutInfo> layout_of(int pixel_format) {
  switch (pixel_format) {
    case AV_PIX_FMT_YUV420P: return LayoutInfo{PixelLayout::i420, false};
    case AV_PIX_FMT_YUVJ420P: return LayoutInfo{PixelLayout::i420, true};
    case AV_PIX_FMT_YUV422P: return LayoutInfo{PixelLayout::i422, false};
    case AV_PIX_FMT_YUVJ422P: return LayoutInfo{PixelLayout::i422, true};
    case AV_PIX_FMT_YUV444P: return LayoutInfo{PixelLayout::i444, false};
    case AV_PIX_FMT_YUVJ444P: return LayoutInfo{PixelLayout::i444, true};
    default: return std::nullopt;
  }
}

AVPixelFormat pixel_format_of(PixelLayout layout) {
  switch (layout) {
    case PixelLayout::i420: return AV_PIX_FMT_YUV420P;
    case PixelLayout::i422: return AV_PIX_FMT_YUV422P;
    case PixelLayout::i444: return AV_PIX_FMT_YUV444P;
  }
  return AV_PIX_FMT_YUV420P;
}

VideoImage image_from_frame(FramePtr frame) {
  VideoImage image;
  auto info = layout_of(frame->format);
  if (!info) return image;
  image.width = frame->width;
  image.height = frame->height;
  image.layout = info->layout;
  image.full_range = info->full_range_format || frame->color_range == AVCOL_RANGE_JPEG;
  for (int i = 0; i < 3; ++i) {
    image.plane[static_cast<size_t>(i)] = frame->data[i];
    image.stride[static_cast<size_t>(i)] = frame->linesize[i];
  }
  image.owner = std::shared_ptr<const void>(frame.release(), [](const void* p) {
    auto* f = static_cast<AVFrame*>(const_cast<void*>(p));
    av_frame_free(&f);
  });
  return image;
}

PlaneView view_of(const VideoImage& image) {
  PlaneView v;
  for (size_t i = 0; i < 3; ++i) {
    v.data[i] = image.plane[i];
    v.linesize[i] = image.stride[i];
  }
  v.format = pixel_format_of(image.layout);
  v.width = image.width;
  v.height = image.height;
  v.full_range = image.full_range;
  return v;
}

PlaneView view_of(const AVFrame& frame) {
  PlaneView v;
  for (int i = 0; i < 4; ++i) {
    v.data[i] = frame.data[i];
    v.linesize[i] = frame.linesize[i];
  }
  v.format = static_cast<AVPixelFormat>(frame.format);
  v.width = frame.width;
  v.height = frame.height;
  v.full_range = frame.color_range == AVCOL_RANGE_JPEG;
  // The J formats are full range by definition; swscale wants them named as the plain format
  // plus an explicit range.
  if (auto info = layout_of(frame.format)) {
    v.format = pixel_format_of(info->layout);
    v.full_range = v.full_range || info->full_range_format;
  }
  return v;
}

namespace {

// Buffer for an I420 picture: 32-byte aligned rows so swscale and the encoders take their SIMD
// paths. One allocation; the shared owner frees it.
struct I420Buffer {
  std::shared_ptr<uint8_t> memory;
  uint8_t* plane[3] = {nullptr, nullptr, nullptr};
  int stride[3] = {0, 0, 0};
};

std::optional<I420Buffer> allocate_i420(int width, int height) {
  I420Buffer b;
  const int cw = (width + 1) / 2;
  const int ch = (height + 1) / 2;
  b.stride[0] = FFALIGN(width, 32);
  b.stride[1] = b.stride[2] = FFALIGN(cw, 32);
  const size_t y_size = static_cast<size_t>(b.stride[0]) * static_cast<size_t>(height);
  const size_t c_size = static_cast<size_t>(b.stride[1]) * static_cast<size_t>(ch);
  // swscale may write a little past the last row with SIMD; pad generously.
  auto* mem = static_cast<uint8_t*>(av_malloc(y_size + 2 * c_size + 64));
  if (!mem) return std::nullopt;
  b.memory = std::shared_ptr<uint8_t>(mem, [](uint8_t* p) { av_free(p); });
  b.plane[0] = mem;
  b.plane[1] = mem + y_size;
  b.plane[2] = mem + y_size + c_size;
  return b;
}

}  // namespace

Result<VideoImage> convert_to_i420(const PlaneView& src, int width, int height, bool full_range) {
  if (src.width <= 0 || src.height <= 0 || width <= 0 || height <= 0 || !src.data[0]) {
    return make_error(ErrorCode::internal, "convert: empty picture");
  }
  if (src.format == AV_PIX_FMT_NONE) return make_error(ErrorCode::internal, "convert: no format");

  SwsPtr sws(sws_alloc_context());
  if (!sws) return make_error(ErrorCode::internal, "convert: out of memory");
  const bool shrink = width < src.width && height < src.height;
  const int flags = shrink ? SWS_AREA : SWS_BICUBIC;
  // Ranges are set before init (not with sws_setColorspaceDetails afterwards) so that the
  // same-size fast paths, which ignore range, are never chosen when the range changes.
  av_opt_set_int(sws.get(), "srcw", src.width, 0);
  av_opt_set_int(sws.get(), "srch", src.height, 0);
  av_opt_set_int(sws.get(), "src_format", src.format, 0);
  av_opt_set_int(sws.get(), "dstw", width, 0);
  av_opt_set_int(sws.get(), "dsth", height, 0);
  av_opt_set_int(sws.get(), "dst_format", AV_PIX_FMT_YUV420P, 0);
  av_opt_set_int(sws.get(), "sws_flags", flags, 0);
  av_opt_set_int(sws.get(), "src_range", src.full_range ? 1 : 0, 0);
  av_opt_set_int(sws.get(), "dst_range", full_range ? 1 : 0, 0);
  if (int err = sws_init_context(sws.get(), nullptr, nullptr); err < 0) {
    const char* name = av_get_pix_fmt_name(src.format);
    return make_error(ErrorCode::internal, std::string("convert: cannot convert from ") +
                                               (name ? name : "?") + ": " + error_text(err));
  }
  auto buffer = allocate_i420(width, height);
  if (!buffer) return make_error(ErrorCode::internal, "convert: out of memory");
  int scaled = sws_scale(sws.get(), src.data, src.linesize, 0, src.height, buffer->plane,
                         buffer->stride);
  if (scaled <= 0) return make_error(ErrorCode::internal, "convert: swscale failed");

  VideoImage out;
  out.width = width;
  out.height = height;
  out.layout = PixelLayout::i420;
  out.full_range = full_range;
  for (size_t i = 0; i < 3; ++i) {
    out.plane[i] = buffer->plane[i];
    out.stride[i] = buffer->stride[i];
  }
  out.owner = buffer->memory;
  return out;
}

}  // namespace sl::av
