#include "engine/video_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sl::engine {
namespace {

std::string below_thousand(int n) {
  static const char* const ones[] = {"zero",    "one",     "two",       "three",    "four",
                                     "five",    "six",     "seven",     "eight",    "nine",
                                     "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                     "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
  static const char* const tens[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
  std::string out;
  if (n >= 100) {
    out = std::string(ones[n / 100]) + " hundred";
    n %= 100;
    if (n == 0) return out;
    out += " and ";
  }
  if (n < 20) return out + ones[n];
  out += tens[n / 10];
  if (n % 10) out += std::string("-") + ones[n % 10];
  return out;
}

}  // namespace

std::string number_in_words(long long n) {
  if (n < 0 || n > 999'999'999) return std::to_string(n);
  if (n < 1000) return below_thousand(static_cast<int>(n));
  static const std::pair<long long, const char*> scales[] = {{1'000'000, "million"}, {1'000, "thousand"}};
  std::string out;
  for (auto [scale, name] : scales) {
    if (n < scale) continue;
    if (!out.empty()) out += ", ";
    out += below_thousand(static_cast<int>(n / scale)) + " " + name;
    n %= scale;
  }
  if (n > 0) out += (n < 100 ? " and " : ", ") + below_thousand(static_cast<int>(n));
  return out;
}

std::vector<int> sample_frame_indices(const VideoClipInfo& clip, int max_frames, double target_fps, double skip_secs) {
  if (clip.total_frames <= 0) return {};
  // int(round(x)): Python rounds halves to even.
  const int estimated = static_cast<int>(std::nearbyint(target_fps * clip.duration));
  const int desired = std::max(std::min(estimated, max_frames), 1);
  int start = 0;
  int end = clip.total_frames - 1;
  if (skip_secs > 0 && clip.duration - 2 * skip_secs > max_frames * target_fps) {
    start = static_cast<int>(skip_secs * clip.fps);
    end = static_cast<int>(clip.total_frames - skip_secs * clip.fps);
  }
  start = std::max(0, start);
  end = std::min(end, clip.total_frames - 1);
  if (start >= end) {
    start = 0;
    end = clip.total_frames - 1;
  }
  // np.linspace(start, end, desired, dtype=int) then np.unique.
  std::vector<int> out;
  const double delta = static_cast<double>(end) - start;
  for (int i = 0; i < desired; ++i) {
    double v;
    if (desired == 1) {
      v = start;
    } else if (i == desired - 1) {
      v = end;
    } else {
      const double step = delta / (desired - 1);
      v = step == 0 ? i / static_cast<double>(desired - 1) * delta + start : i * step + start;
    }
    out.push_back(static_cast<int>(v));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string video_prompt(const std::vector<double>& timestamps, double duration, int image_seq_len,
                         const ImageTokens& tokens) {
  const long long seconds = static_cast<long long>(duration);
  char clock[64];
  std::snprintf(clock, sizeof clock, "%lld:%02lld:%02lld", seconds / 3600, seconds / 60 % 60, seconds % 60);
  std::string out = "You are provided the following series of " +
                    number_in_words(static_cast<long long>(timestamps.size())) + " frames from a " + clock +
                    " [H:MM:SS] video.\n";
  const std::string frame = image_prompt(0, 0, image_seq_len, tokens);
  for (double t : timestamps) {
    char stamp[48];
    const long long minutes = static_cast<long long>(std::floor(t / 60));
    const long long secs = static_cast<long long>(std::fmod(t, 60.0));
    std::snprintf(stamp, sizeof stamp, "\nFrame from %02lld:%02lld:", minutes, secs);
    out += stamp + frame;
  }
  return out + "\n\n";
}

}  // namespace sl::engine
