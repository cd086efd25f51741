// JobSpec: a stream's continuous-inference job (SPEC section 5), parsed and checked from the
// Overshoot-named `processing` and `inference` objects of a create request (or a later update).
//
// processing.mode "clip" (default): every delay_seconds, the newest clip_length_seconds sampled at
// target_fps (1-30; the legacy fps + sampling_ratio pair gives int(fps * sampling_ratio)), with
// target_fps * clip_length_seconds >= 3 frames. processing.mode "frame": the newest frame every
// interval_seconds (0.1-60). inference: prompt (required, non-empty), model (empty: the server's
// default model), backend (accepted, informational), output_schema_json (a JSON Schema object,
// becomes the backend's structured-output request), max_output_tokens (1-65536).
// Keys this server does not know are ignored (the Overshoot SDK may send more than we use);
// known keys with a wrong type or out of range are refused.
// The operator's limits (JobLimits) are checked here too, so a job that could never run is a
// 422 at creation rather than a failure on every run: a clip run may select at most
// `max_frames` frames (chat.max_frames_per_request: ceil(target_fps * clip_length_seconds)),
// and the prompt is at most `max_prompt_bytes` (jobs.max_prompt_bytes; it goes to the model on
// every run).
// Errors: invalid_request (400) for a wrong JSON type, invalid_value (422) for a value out of
// its range; `param` names the field ("processing.target_fps") and the message the range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "core/status.hpp"

namespace sl::jobs {

enum class JobMode { clip, frame };

struct JobSpec {
  JobMode mode = JobMode::clip;
  // clip mode
  int target_fps = 3;              // Overshoot's defaults: fps 30 x sampling_ratio 0.1
  int64_t clip_length_ms = 1000;
  int64_t delay_ms = 1000;
  // frame mode
  int64_t interval_ms = 500;
  // inference
  std::string prompt;
  std::string model;
  std::string backend;
  std::string output_schema_json;  // "" when none
  std::optional<int64_t> max_output_tokens;

  // How often a run falls due.
  int64_t period_ms() const { return mode == JobMode::clip ? delay_ms : interval_ms; }
};

struct JobLimits {
  int64_t max_frames = 512;              // frames one clip run may select
  std::size_t max_prompt_bytes = 32768;  // inference.prompt, in UTF-8 bytes
};

// No processing and no inference: no job (nullopt). Either alone is enough to define one (the
// other takes its defaults), but a job needs inference.prompt.
Result<std::optional<JobSpec>> parse_job_spec(const boost::json::object* processing,
                                              const boost::json::object* inference,
                                              const JobLimits& limits = {});

// The prompt rule alone (PATCH .../config/prompt): not blank, at most limits.max_prompt_bytes.
// `param` names the field in the caller's body.
Status check_prompt(const std::string& prompt, const JobLimits& limits, const std::string& param);

// Frames one clip run selects: ceil(target_fps * clip_length_seconds).
int64_t clip_frames(const JobSpec& spec);

// "clip" / "frame".
const char* to_string(JobMode mode);

}  // namespace sl::jobs
