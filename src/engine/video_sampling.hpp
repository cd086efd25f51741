// SmolVLM's video handling outside the pixels (transformers' SmolVLMVideoProcessor and
// SmolVLMProcessor): which frames of a clip are sampled, their timestamps, and the prompt a
// `<video>` expands to ("You are provided the following series of {count in words} frames from
// a {H:MM:SS} [H:MM:SS] video.\n", then per frame "\nFrame from MM:SS:" and the frame's image
// prompt, then "\n\n"). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "engine/idefics3_processor.hpp"

namespace sl::engine {

struct VideoClipInfo {
  int total_frames = 0;  // frames in the clip
  double fps = 0;        // the clip's frame rate
  double duration = 0;   // seconds
};

// SmolVLMVideoProcessor.sample_frames: about `target_fps` frames per second, at most
// `max_frames`, spread evenly (numpy linspace truncated, duplicates dropped), skipping
// `skip_secs` at both ends when the clip is long enough.
std::vector<int> sample_frame_indices(const VideoClipInfo& clip, int max_frames, double target_fps,
                                      double skip_secs = 1.0);

// The expansion of one `<video>`: frame timestamps in seconds from the clip start and the
// clip's duration in seconds (truncated to whole seconds as the processor does).
std::string video_prompt(const std::vector<double>& timestamps, double duration, int image_seq_len,
                         const ImageTokens& tokens = {});

// num2words' English cardinals ("twenty-one", "one hundred and five", "one thousand, two
// hundred"), up to 999 999 999; larger numbers are written in digits.
std::string number_in_words(long long n);

}  // namespace sl::engine
