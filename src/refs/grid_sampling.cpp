#include "refs/grid_sampling.hpp"

#include <algorithm>
#include <cmath>

namespace sl {

int64_t grid_period_ms(double max_fps, std::optional<int64_t> max_frames, int64_t span_ms) {
  double p = max_fps > 0 ? 1000.0 / max_fps : 1000.0;
  if (max_frames && *max_frames > 0)
    p = std::max(p, static_cast<double>(std::max<int64_t>(span_ms, 0)) /
                        static_cast<double>(*max_frames));
  // Rounded up; 1e-9 forgives the float dust in e.g. 1000/(1000/3).
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(p - 1e-9)));
}

std::vector<size_t> grid_sample(const std::vector<int64_t>& times_ms, int64_t start_ms,
                                int64_t end_ms, double max_fps, std::optional<int64_t> max_frames) {
  std::vector<size_t> out;
  if (times_ms.empty()) return out;
  const int64_t period = grid_period_ms(max_fps, max_frames, end_ms - start_ms);
  // First multiple of the period at or after start (floor division that is right for t < 0).
  const auto div_floor = [](int64_t a, int64_t b) { return a / b - ((a % b != 0) && (a < 0)); };
  int64_t instant = -div_floor(-start_ms, period) * period;
  const size_t cap = max_frames && *max_frames > 0 ? static_cast<size_t>(*max_frames) : SIZE_MAX;
  if (instant >= end_ms) {
    out.push_back(0);  // too short to hold an instant: its first frame
    return out;
  }
  size_t j = 0;
  for (; instant < end_ms && out.size() < cap; instant += period) {
    while (j < times_ms.size() && times_ms[j] < instant) ++j;
    size_t pick = j;
    if (j == times_ms.size() || (j > 0 && instant - times_ms[j - 1] <= times_ms[j] - instant))
      pick = j - 1;
    if (!out.empty() && out.back() >= pick) continue;
    out.push_back(pick);
  }
  return out;
}

}  // namespace sl
