// Sampling frames out of a whole video file held in memory (a fetched http video or a data:
// URL) for backends that take frames, not video. The container is demuxed with libavformat
// straight from the buffer (no temporary file; nested opens, as playlists or external
// references would make, are refused), the best video stream is decoded, and frames are picked
// spread evenly in time by their pts, as ovs:// segments are sampled: at most max_fps frames per
// second, at most max_frames in all. Input is untrusted, so the work is bounded: frame sizes
// over 7680x4320 pixels, files with more than kMaxVideoFrames frames, or decoding that takes
// longer than kMaxSampleSeconds are refused. Blocking and CPU-bound: call it off the I/O threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl {

inline constexpr int kMaxVideoWidth = 7680;   // also the longest side of a portrait frame
inline constexpr int64_t kMaxVideoPixels = int64_t{7680} * 4320;
inline constexpr size_t kMaxVideoFrames = 36000;  // 20 minutes at 30 fps
inline constexpr int kMaxSampleSeconds = 60;

struct SampledFrame {
  int64_t timestamp_ms = 0;  // from the frame's pts, relative to the first frame of the video
  VideoImage image;          // planar YUV; full-range I420 when it was downscaled
};

// Frames in presentation order. max_fps > 0, max_frames >= 1; max_pixels > 0 downscales each
// frame so width*height <= max_pixels (0: original size). Errors: invalid_request for bytes that
// are not a video with a decodable video stream (or bad arguments), payload_too_large for the
// limits above, unsupported for a codec without a decoder.
Result<std::vector<SampledFrame>> sample_video(const Bytes& container_bytes, double max_fps,
                                               int max_frames, int64_t max_pixels);

// The sampling rule on its own: given presentation times (ms, ascending), the indices of the
// frames to keep. K = ceil(span * max_fps) frames (capped at max_frames, at most all of them)
// aimed at t0 + i*span/K, each served by the nearest frame, where span covers the frames and
// the last frame's own interval. 3 s of 30 fps at max_fps=1 keeps frames 0, 30 and 60.
// `slack_ms`: measuring error forgiven before K is rounded up (whole-millisecond timestamps
// make 10 s of 30 fps measure 10000.3 ms, which must not ask for a 21st frame at 2 fps).
// The ovs:// segment sampler (refs) uses this same rule.
std::vector<size_t> pick_evenly(const std::vector<double>& times_ms, double max_fps,
                                int max_frames, double slack_ms = 0);

}  // namespace sl
