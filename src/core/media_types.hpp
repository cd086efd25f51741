// Codec-free value types for video that cross module borders: a decoded picture (VideoImage),
// an encoded access unit (Packet) and the parameters needed to decode it (CodecConfig).
// Buffers are reference-counted and immutable once published, so the store, the JPEG cache and
// request handlers share them without copies. Only media/ knows how they map to FFmpeg.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sl {

using Bytes = std::vector<uint8_t>;
using SharedBytes = std::shared_ptr<const Bytes>;

enum class PixelLayout { i420, i422, i444 };

// A planar YUV picture. `owner` keeps the planes alive (an AVFrame, a vector, ...).
// full_range=false means video ("limited", Y 16..235) levels, as H.264 usually carries.
struct VideoImage {
  int width = 0;
  int height = 0;
  PixelLayout layout = PixelLayout::i420;
  bool full_range = false;
  std::array<const uint8_t*, 3> plane{};
  std::array<int, 3> stride{};
  std::shared_ptr<const void> owner;

  bool valid() const { return width > 0 && height > 0 && plane[0] != nullptr; }
  // Bytes held by the planes (for memory accounting).
  size_t byte_size() const;
};

// Everything a decoder needs besides the packets. Shared by all packets of one connection.
struct CodecConfig {
  std::string codec;       // FFmpeg codec name: "h264", "hevc", "mjpeg", ...
  int codec_id = 0;        // AVCodecID, opaque outside media/
  Bytes extradata;         // SPS/PPS etc.
  int width = 0;
  int height = 0;
  int time_base_num = 1;   // unit of Packet::pts
  int time_base_den = 1000;
};

inline constexpr int64_t kNoPts = INT64_MIN;

// One encoded access unit, in decode order.
struct Packet {
  std::shared_ptr<const CodecConfig> config;
  SharedBytes data;
  bool keyframe = false;
  int64_t pts = kNoPts;  // in config->time_base units
  int64_t dts = kNoPts;
};

inline size_t VideoImage::byte_size() const {
  if (!valid()) return 0;
  size_t chroma_h = static_cast<size_t>(layout == PixelLayout::i420 ? (height + 1) / 2 : height);
  return static_cast<size_t>(stride[0]) * static_cast<size_t>(height) +
         (static_cast<size_t>(stride[1]) + static_cast<size_t>(stride[2])) * chroma_h;
}

}  // namespace sl
