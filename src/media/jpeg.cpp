#include "media/jpeg.hpp"

#include <turbojpeg.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "core/video_levels.hpp"

namespace sl {

namespace {

struct TjDeleter {
  void operator()(void* h) const { tjDestroy(h); }
};
using TjHandle = std::unique_ptr<void, TjDeleter>;

struct TjBufferDeleter {
  void operator()(unsigned char* p) const { tjFree(p); }
};
using TjBuffer = std::unique_ptr<unsigned char, TjBufferDeleter>;

int subsampling_of(PixelLayout layout) {
  switch (layout) {
    case PixelLayout::i420: return TJSAMP_420;
    case PixelLayout::i422: return TJSAMP_422;
    case PixelLayout::i444: return TJSAMP_444;
  }
  return TJSAMP_420;
}

std::string tj_error(void* handle) {
  return handle ? tjGetErrorStr2(handle) : tjGetErrorStr2(nullptr);
}

}  // namespace

Result<Bytes> encode_jpeg(const VideoImage& image, int quality) {
  if (!image.valid()) return make_error(ErrorCode::internal, "jpeg: empty image");
  quality = std::clamp(quality, 1, 100);
  const int subsamp = subsampling_of(image.layout);
  TjHandle handle(tjInitCompress());
  if (!handle) return make_error(ErrorCode::internal, "jpeg: " + tj_error(nullptr));

  std::array<const unsigned char*, 3> planes{image.plane[0], image.plane[1], image.plane[2]};
  std::array<int, 3> strides{image.stride[0], image.stride[1], image.stride[2]};
  // Limited-range input is expanded while copying into one scratch buffer: the single copy of
  // the picture on the way to a JPEG. Full-range input is read straight from its planes.
  std::unique_ptr<uint8_t[]> scratch;  // not value-initialised: every byte is written below
  if (!image.full_range) {
    const VideoLevelTables& t = kVideoToFullRange;
    std::array<int, 3> pw{}, ph{};
    size_t total = 0;
    for (int i = 0; i < 3; ++i) {
      pw[static_cast<size_t>(i)] = tjPlaneWidth(i, image.width, subsamp);
      ph[static_cast<size_t>(i)] = tjPlaneHeight(i, image.height, subsamp);
      total += static_cast<size_t>(pw[static_cast<size_t>(i)]) *
               static_cast<size_t>(ph[static_cast<size_t>(i)]);
    }
    scratch = std::make_unique_for_overwrite<uint8_t[]>(total);
    uint8_t* dst = scratch.get();
    for (size_t i = 0; i < 3; ++i) {
      const auto& lut = i == 0 ? t.luma : t.chroma;
      const uint8_t* src = image.plane[i];
      planes[i] = dst;
      for (int y = 0; y < ph[i]; ++y) {
        const uint8_t* s = src + static_cast<ptrdiff_t>(y) * image.stride[i];
        for (int x = 0; x < pw[i]; ++x) dst[x] = lut[s[x]];
        dst += pw[i];
      }
      strides[i] = pw[i];
    }
  }

  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  int rc = tjCompressFromYUVPlanes(handle.get(), planes.data(), image.width, strides.data(),
                                   image.height, subsamp, &out, &out_size, quality, 0);
  TjBuffer owned(out);
  if (rc != 0) return make_error(ErrorCode::internal, "jpeg: " + tj_error(handle.get()));
  return Bytes(out, out + out_size);
}

Result<VideoImage> decode_jpeg(const Bytes& jpeg) {
  if (jpeg.empty()) return make_error(ErrorCode::invalid_request, "jpeg: empty data");
  TjHandle handle(tjInitDecompress());
  if (!handle) return make_error(ErrorCode::internal, "jpeg: " + tj_error(nullptr));
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(handle.get(), jpeg.data(), jpeg.size(), &width, &height, &subsamp,
                          &colorspace) != 0) {
    return make_error(ErrorCode::invalid_request, "jpeg: " + tj_error(handle.get()));
  }
  if (width <= 0 || height <= 0) return make_error(ErrorCode::invalid_request, "jpeg: no size");

  VideoImage image;
  image.width = width;
  image.height = height;
  image.full_range = true;
  const bool native = colorspace == TJCS_YCbCr &&
                      (subsamp == TJSAMP_420 || subsamp == TJSAMP_422 || subsamp == TJSAMP_444);
  const int out_samp = native ? subsamp : TJSAMP_420;
  image.layout = out_samp == TJSAMP_444 ? PixelLayout::i444
                 : out_samp == TJSAMP_422 ? PixelLayout::i422
                                          : PixelLayout::i420;
  std::array<size_t, 3> offset{};
  size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    const int pw = tjPlaneWidth(i, width, out_samp);
    const int ph = tjPlaneHeight(i, height, out_samp);
    offset[static_cast<size_t>(i)] = total;
    image.stride[static_cast<size_t>(i)] = pw;
    total += static_cast<size_t>(pw) * static_cast<size_t>(ph);
  }
  auto buffer = std::make_shared<Bytes>(total);
  std::array<unsigned char*, 3> planes{};
  for (size_t i = 0; i < 3; ++i) planes[i] = buffer->data() + offset[i];

  int rc = 0;
  if (native) {
    rc = tjDecompressToYUVPlanes(handle.get(), jpeg.data(), jpeg.size(), planes.data(), width,
                                 image.stride.data(), height, 0);
  } else {
    // Gray, 4:4:0, 4:1:1, RGB or CMYK JPEGs: through RGB to 4:2:0, rare enough not to matter.
    std::vector<unsigned char> rgb(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
    rc = tjDecompress2(handle.get(), jpeg.data(), jpeg.size(), rgb.data(), width, width * 3, height,
                       TJPF_RGB, 0);
    if (rc == 0) {
      TjHandle encoder(tjInitCompress());
      if (!encoder) return make_error(ErrorCode::internal, "jpeg: " + tj_error(nullptr));
      rc = tjEncodeYUVPlanes(encoder.get(), rgb.data(), width, width * 3, height, TJPF_RGB,
                             planes.data(), image.stride.data(), TJSAMP_420, 0);
      if (rc != 0) return make_error(ErrorCode::internal, "jpeg: " + tj_error(encoder.get()));
    }
  }
  // Warnings (a truncated or slightly damaged file) still leave a usable picture.
  if (rc != 0 && tjGetErrorCode(handle.get()) != TJERR_WARNING) {
    return make_error(ErrorCode::invalid_request, "jpeg: " + tj_error(handle.get()));
  }
  for (size_t i = 0; i < 3; ++i) image.plane[i] = planes[i];
  image.owner = std::move(buffer);
  return image;
}

}  // namespace sl
