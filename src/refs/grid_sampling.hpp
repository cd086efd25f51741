// The ovs:// segment sampling rule (SPEC section 3): sample instants are the multiples of the
// period P = max(1000/max_fps, span/max_frames) ms, rounded up to a whole millisecond, that fall
// in [start, end) on the stream clock; each instant takes the segment frame nearest to it (a tie
// goes to the earlier frame) and a frame picked twice is used once. Because the grid is anchored
// at stream time 0, not at the request's start, two requests for a moving window pick the same
// frames where they overlap, so every cache behind them (JPEG renditions, upstream multimodal
// caches, the engine's vision cache) hits. A segment too short to hold an instant yields its
// first frame. Pure; no store access.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace sl {

// Period in whole ms for a segment of `span_ms`.
int64_t grid_period_ms(double max_fps, std::optional<int64_t> max_frames, int64_t span_ms);

// Positions in `times_ms` (ascending stream-clock times of the segment's frames) to use.
std::vector<size_t> grid_sample(const std::vector<int64_t>& times_ms, int64_t start_ms,
                                int64_t end_ms, double max_fps, std::optional<int64_t> max_frames);

}  // namespace sl
