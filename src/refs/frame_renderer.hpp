// FrameRenderer turns resolved frame records into frame handles: JPEG bytes (for clients and
// remote models) or decoded pictures (for the in-process engine and for clips, which would
// otherwise go H.264 -> YUV -> JPEG -> YUV -> H.264). JPEGs come, in order of cost, from a
// cached rendition of the same frame and size (byte-identical every time), the decoded picture
// of a recent frame, or a re-decode of the frame's GOP (decoding each GOP once for all frames
// wanted from it); every JPEG it makes is cached in the store as a rendition. Pictures come from
// the kept decoded picture or a GOP re-decode (never from a lossy JPEG), scaled to max_pixels.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "core/media_types.hpp"
#include "core/status.hpp"
#include "store/frame_store.hpp"

namespace sl {

// What the consumer takes: encoded JPEG or the decoded picture.
enum class FrameForm { jpeg, picture };

struct RenderOptions {
  std::optional<int64_t> max_pixels;   // downscale so width*height <= max_pixels
  int jpeg_quality = 85;               // for FrameForm::jpeg
  FrameForm form = FrameForm::jpeg;
};

// One frame handle: `jpeg` set for FrameForm::jpeg, `picture` (reference-counted planes) for
// FrameForm::picture.
struct RenderedFrame {
  int64_t index = -1;
  int64_t timestamp_ms = 0;
  int width = 0;
  int height = 0;
  SharedBytes jpeg;
  VideoImage picture;
};

class FrameRenderer {
 public:
  // `decode_threads`: GOPs re-decoded in parallel for one call (segments touch many GOPs): the
  // calling thread plus decode_threads - 1 helpers owned by the renderer and shared by all
  // calls (threads are not started per call).
  // `helper_nice`: the helpers' CPU priority below the network threads (core/background_priority.hpp).
  explicit FrameRenderer(int decode_threads = 2, int helper_nice = 0);
  ~FrameRenderer();
  FrameRenderer(const FrameRenderer&) = delete;
  FrameRenderer& operator=(const FrameRenderer&) = delete;

  // Frames in the order given. Error frame_not_found if a frame was evicted meanwhile.
  Result<std::vector<RenderedFrame>> render(const FrameStore& store,
                                            const std::vector<FrameRecord>& frames,
                                            const RenderOptions& options) const;

 private:
  int decode_threads_;
  std::unique_ptr<boost::asio::thread_pool> helpers_;
};

}  // namespace sl
