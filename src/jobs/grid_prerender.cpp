#include "jobs/grid_prerender.hpp"

#include <vector>

#include <boost/asio/post.hpp>

namespace sl::jobs {

GridPrerender::GridPrerender(const MediaResolver& resolver, boost::asio::any_io_executor pool,
                             std::string owner, std::string stream_id, int64_t period_ms,
                             int jpeg_quality, int max_pending)
    : resolver_(resolver), pool_(std::move(pool)), owner_(std::move(owner)),
      stream_id_(std::move(stream_id)), period_ms_(std::max<int64_t>(1, period_ms)),
      jpeg_quality_(jpeg_quality), max_pending_(max_pending) {}

std::vector<int64_t> GridPrerender::picks(const std::optional<Seen>& prev, Seen now,
                                          int64_t period_ms) {
  std::vector<int64_t> out;
  auto add = [&out](int64_t index) {
    if (out.empty() || out.back() != index) out.push_back(index);
  };
  if (!prev) {
    if (now.timestamp_ms % period_ms == 0) add(now.index);
    return out;
  }
  const int64_t a = prev->timestamp_ms, b = now.timestamp_ms;
  if (b <= a) return out;
  // Instants in (a, b]: the first multiple of the period after a (a >= 0 on the stream clock).
  for (int64_t i = (a / period_ms + 1) * period_ms; i <= b; i += period_ms)
    add(i - a <= b - i ? prev->index : now.index);
  return out;
}

void GridPrerender::on_frame(int64_t index, const FrameArrival& frame) {
  std::vector<int64_t> todo;
  {
    std::lock_guard lk(mu_);
    const Seen now{index, frame.timestamp_ms};
    for (int64_t pick : picks(prev_, now, period_ms_)) {
      if (pick == last_rendered_) continue;
      last_rendered_ = pick;
      todo.push_back(pick);
    }
    prev_ = now;
  }
  for (int64_t i : todo) render(i);
}

void GridPrerender::render(int64_t index) {
  if (pending_->fetch_add(1) >= max_pending_) {
    pending_->fetch_sub(1);
    return;
  }
  OvsRef ref;
  ref.stream_id = stream_id_;
  ref.kind = RefKind::image;
  ref.anchor = Anchor{AnchorKind::frame_index, index};
  RenderOptions options;
  options.jpeg_quality = jpeg_quality_;
  boost::asio::post(pool_, [resolver = &resolver_, ref, options, owner = owner_,
                            pending = pending_] {
    // Only while the decoded picture is kept: a prerender never re-decodes a GOP (that is
    // the cost it saves; behind a busy pool, the run renders what is missing itself). The
    // result is the cached rendition; an error (evicted meanwhile) needs nothing.
    auto located = resolver->locate(ref, owner, 0, "prerender");
    if (located.ok() && !resolver->needs_decoding(*located, options))
      (void)resolver->render(ref, *located, options, "prerender");
    pending->fetch_sub(1);
  });
}

}  // namespace sl::jobs
