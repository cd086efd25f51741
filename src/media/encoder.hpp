// Video encoding with libavcodec (H.264 via libx264, MJPEG fallback) for synthetic sources
// such as the test pattern, and for building MP4 clips. RAII over AVCodecContext.
#pragma once

#include <memory>
#include <vector>

#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl {

struct EncoderOptions {
  int width = 640;
  int height = 360;
  double fps = 30.0;
  int gop = 30;            // keyframe interval in frames
  int bitrate_kbps = 0;    // 0: constant quality
  std::string codec = "h264";  // "h264" (falls back to "mjpeg" when libx264 is missing)
};

class Encoder {
 public:
  static Result<std::unique_ptr<Encoder>> create(const EncoderOptions& options);
  virtual ~Encoder() = default;
  // The codec parameters of the produced packets (time base 1/1000: pts in milliseconds).
  virtual std::shared_ptr<const CodecConfig> config() const = 0;
  // Encodes one picture with pts in ms; appends finished packets (no B-frames, no delay).
  virtual Status encode(const VideoImage& image, int64_t pts_ms, std::vector<Packet>& out) = 0;
};

}  // namespace sl
