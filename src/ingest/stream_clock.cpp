#include "ingest/stream_clock.hpp"

#include <algorithm>

namespace sl {

void StreamClock::new_connection() {
  connection_start_ = true;
  anchor_ms_.reset();
  last_pts_ms_.reset();
}

std::optional<int64_t> StreamClock::from_pts(std::optional<int64_t> pts_ms,
                                             int64_t arrival_ms) const {
  if (!pts_ms || !anchor_ms_ || connection_start_) return std::nullopt;
  const int64_t candidate = *pts_ms + *anchor_ms_;
  if (candidate <= last_ms_) return std::nullopt;  // backwards or repeated
  const int64_t arrival_rel = arrival_ms - first_arrival_ms_;
  if (candidate < arrival_rel - options_.max_lag_ms) return std::nullopt;
  if (last_pts_ms_) {
    const int64_t pts_step = *pts_ms - *last_pts_ms_;
    const int64_t arrival_step = arrival_ms - last_arrival_ms_;
    if (pts_step > arrival_step + options_.max_jump_ms) return std::nullopt;
  }
  return candidate;
}

int64_t StreamClock::pace_ms(std::optional<int64_t> pts_ms, int64_t arrival_ms) const {
  if (!started_) return 0;
  const auto t = from_pts(pts_ms, arrival_ms);
  if (!t) return 0;
  const int64_t lead = *t - (arrival_ms - first_arrival_ms_);
  return std::max<int64_t>(0, lead - options_.max_lead_ms);
}

int64_t StreamClock::stamp(std::optional<int64_t> pts_ms, int64_t arrival_ms) {
  if (!started_) {
    started_ = true;
    first_arrival_ms_ = arrival_ms;
  }
  const int64_t arrival_rel = arrival_ms - first_arrival_ms_;
  int64_t t = 0;
  if (auto from = from_pts(pts_ms, arrival_ms)) {
    t = *from;
  } else {
    // Connection start or untrusted pts: the arrival clock, never going backwards.
    t = last_ms_ < 0 ? std::max<int64_t>(0, arrival_rel) : std::max(last_ms_ + 1, arrival_rel);
    if (!connection_start_) ++rebases_;
    if (pts_ms) {
      anchor_ms_ = t - *pts_ms;
    } else {
      anchor_ms_.reset();
    }
  }
  connection_start_ = false;
  last_ms_ = t;
  last_arrival_ms_ = arrival_ms;
  last_pts_ms_ = pts_ms;
  return t;
}

}  // namespace sl
