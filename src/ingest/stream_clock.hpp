// The stream clock of a pull source (SPEC §2): ms since the stream's first frame, strictly
// increasing, following the source's pts where they are trustworthy and the arrival clock where
// not, and continuing across reconnects. Pure arithmetic over the times it is given, so it is
// tested without a network or a real clock.
//
// Rules, per frame (pts already converted to ms, arrival in steady ms):
// - the first frame of the stream is 0; the first frame of a later connection is
//   max(previous + 1, arrival-based time), and the connection's pts are anchored there;
// - after that, time = pts + anchor, unless the pts is missing, does not move forward, jumps
//   forward more than the arrival clock explains (a discontinuity), or has drifted from the
//   arrival clock more than the tolerance: then the clock rebases on arrival time (and anchors
//   the pts again there);
// - frames may legitimately arrive ahead of their time (GOP caches, HLS segments, files read
//   faster than real time): `pace_ms()` says how long to hold a frame so that it is never more
//   than `max_lead_ms` ahead of the arrival clock. Files use 0 (paced like `ffmpeg -re`).
#pragma once

#include <cstdint>
#include <optional>

namespace sl {

struct StreamClockOptions {
  int64_t max_lead_ms = 10'000;     // frames further ahead than this are held back
  int64_t max_lag_ms = 1'000;       // pts behind the arrival clock by more: rebase
  int64_t max_jump_ms = 1'000;      // pts step beyond the arrival step by more: rebase
};

class StreamClock {
 public:
  explicit StreamClock(StreamClockOptions options = {}) : options_(options) {}

  // Call when a new connection starts: its pts are unrelated to the previous one's.
  void new_connection();
  // How long to hold a frame that arrived at `arrival_ms` before stamping it (0: none).
  int64_t pace_ms(std::optional<int64_t> pts_ms, int64_t arrival_ms) const;
  // The stream time of a frame, delivered at `arrival_ms`.
  int64_t stamp(std::optional<int64_t> pts_ms, int64_t arrival_ms);
  // Rebases so far (for metrics and tests).
  int rebases() const { return rebases_; }

 private:
  // Stream time from pts, or nullopt when the pts cannot be trusted for this frame.
  std::optional<int64_t> from_pts(std::optional<int64_t> pts_ms, int64_t arrival_ms) const;

  StreamClockOptions options_;
  bool started_ = false;
  int64_t first_arrival_ms_ = 0;   // arrival of the stream's first frame
  int64_t last_ms_ = -1;           // last stream time handed out
  int64_t last_arrival_ms_ = 0;
  std::optional<int64_t> last_pts_ms_;
  std::optional<int64_t> anchor_ms_;  // stream time = pts + anchor
  bool connection_start_ = true;
  int rebases_ = 0;
};

}  // namespace sl
