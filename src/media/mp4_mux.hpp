// MP4 files built in memory: muxing encoded packets (libavformat over an in-memory AVIO), a
// one-call JPEG frames -> H.264 MP4 path for sending sampled segments to models that take video
// (and for clip downloads), and a prober to read one back. Files are written with the `moov`
// box before `mdat` ("faststart"), so a reader can start without seeking to the end, and with
// FFmpeg's bit-exact flag, so the same input gives the same bytes every time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl {

// Muxes one video track. `packets` are in decode order with pts (and dts; dts defaults to pts,
// i.e. no B-frames) in `config` time base units. The last sample lasts as long as the one
// before it.
Result<Bytes> mux_mp4(const CodecConfig& config, const std::vector<Packet>& packets);

struct TimedJpeg {
  SharedBytes jpeg;
  int64_t timestamp_ms = 0;  // any clock; the clip starts at the first frame's time
};

struct ClipEncodeOptions {
  std::string codec = "h264";  // as media/encoder.hpp (falls back to mjpeg without libx264)
  int gop = 0;                 // keyframe interval in frames; 0 = one keyframe per clip
};

struct TimedPicture {
  VideoImage picture;
  int64_t timestamp_ms = 0;  // any clock; the clip starts at the first frame's time
};

// Brings every picture to the first one's size (rounded down to even), encodes them with
// pts = timestamp - first timestamp (strictly increasing; ties are nudged by 1 ms) and muxes the
// result. At least one frame is required.
Result<Bytes> pictures_to_mp4(const std::vector<TimedPicture>& frames,
                              const ClipEncodeOptions& options = {});
// The same from JPEGs (decoded one at a time, so only one picture is in memory at once).
Result<Bytes> jpegs_to_mp4(const std::vector<TimedJpeg>& frames,
                           const ClipEncodeOptions& options = {});

// What probe_mp4 finds in the first video track.
struct Mp4Info {
  std::string format;            // libavformat's name for the container ("mov,mp4,m4a,...")
  std::string codec;             // "h264", "mjpeg", ...
  int width = 0;
  int height = 0;
  std::vector<int64_t> pts_ms;   // per packet, in file order
  int64_t keyframes = 0;
};

Result<Mp4Info> probe_mp4(const Bytes& file);

}  // namespace sl
