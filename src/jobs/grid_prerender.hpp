// GridPrerender: a stream's frame reader (streams/stream_events.hpp's FrameHub) for a clip job.
// As frames arrive it works out which of them SPEC section 3's grid (multiples of the job's
// period on the stream clock, nearest frame, ties to the earlier) will pick, and renders each
// one's JPEG through the MediaResolver on the media pool while its decoded picture is still
// kept. A run then finds its clip's JPEGs cached instead of re-decoding GOPs for the frames
// older than the store keeps decoded (the cost that dominated a clip run's overhead at 16
// streams, docs/performance.md).
// Threading: on_frame runs on the source thread and only posts; at most `max_pending` renders
// per stream wait on the pool (more are dropped: the run renders what is missing itself), and a
// render that would have to re-decode (the picture is no longer kept) is not done.
// The resolver and pool must outlive the consumer's subscription.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "core/media_sink.hpp"
#include "refs/media_resolver.hpp"

namespace sl::jobs {

class GridPrerender final : public FrameConsumer {
 public:
  GridPrerender(const MediaResolver& resolver, boost::asio::any_io_executor pool,
                std::string owner, std::string stream_id, int64_t period_ms, int jpeg_quality,
                int max_pending = 2);
  void on_frame(int64_t index, const FrameArrival& frame) override;

  // Frames the grid picks, for an arrival order (index, timestamp_ms): pure, for tests.
  // `prev` is the previous frame; returns the picks among prev and the new frame for the
  // instants in (prev.timestamp_ms, timestamp_ms], in order, without repeats.
  struct Seen {
    int64_t index = -1;
    int64_t timestamp_ms = 0;
  };
  static std::vector<int64_t> picks(const std::optional<Seen>& prev, Seen now, int64_t period_ms);

 private:
  void render(int64_t index);

  const MediaResolver& resolver_;
  boost::asio::any_io_executor pool_;
  const std::string owner_;
  const std::string stream_id_;
  const int64_t period_ms_;
  const int jpeg_quality_;
  const int max_pending_;
  std::mutex mu_;                 // the source thread is the only caller; cheap insurance
  std::optional<Seen> prev_;
  int64_t last_rendered_ = -1;
  std::shared_ptr<std::atomic<int>> pending_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace sl::jobs
