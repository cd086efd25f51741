#include "streams/second_keeper.hpp"

#include <memory>

#include "media/jpeg.hpp"

namespace sl {

int64_t SecondKeeper::on_frame(const FrameArrival& frame) {
  const int64_t index = store_.on_frame(frame);
  if (!enabled_ || index < 0) return index;
  const int64_t t = frame.timestamp_ms;
  if (!prev_) {
    if (t % 1000 == 0) keep(index, frame.image);  // the stream's first frame, on second 0
  } else {
    // The whole seconds in (prev, t]: the earliest is served by whichever of the two frames is
    // nearer (a tie goes to the earlier frame, as on the ovs:// grid), likewise the latest. The
    // stream clock starts at 0 and never goes back (SPEC section 2).
    const int64_t p = prev_->timestamp_ms;
    const int64_t first = (p / 1000 + 1) * 1000;
    const int64_t last = t / 1000 * 1000;
    if (first <= last) {
      if (first - p <= t - first) keep(prev_->index, prev_->image);
      if (t - last < last - p) keep(index, frame.image);
    }
  }
  prev_ = Seen{index, t, frame.image};
  return index;
}

void SecondKeeper::keep(int64_t index, const VideoImage& image) {
  // Across a gap one frame can be nearest to two seconds: encode it once.
  if (!image.valid() || index == last_kept_) return;
  last_kept_ = index;
  auto jpeg = encode_jpeg(image, quality_);
  if (!jpeg.ok()) return;  // the renderer re-decodes this one if it is ever asked for
  store_.put_pinned_rendition(index, rendition_key(image.width, image.height, quality_),
                              std::make_shared<const Bytes>(std::move(*jpeg)));
  ++kept_;
}

}  // namespace sl
