// The message one run of a continuous-inference job sends to the stream's WebSocket readers
// (SPEC section 5): Overshoot's result fields plus sightline's `frame_range` and `media_url`.
//   {"id","stream_id","mode","model_backend","model_name","prompt","result",
//    "inference_latency_ms","total_latency_ms","ok","error","finish_reason",
//    "frame_range":{"first","last"},"media_url"}
// `result` is the model's text (a JSON document as text when the job has an output schema, as
// Overshoot sends it); `error` is null when ok. `frame_range`/`media_url` are null only when the
// run failed before any frame was selected. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "jobs/job_spec.hpp"

namespace sl::jobs {

struct JobResult {
  std::string id;             // "res_<hex>", unique per run
  std::string stream_id;
  JobMode mode = JobMode::clip;
  std::string model_backend;  // inference.backend as given, else "sightline"
  std::string model_name;     // the model id the run called
  std::string prompt;         // the prompt this run used
  std::string result;         // the model's answer text ("" when it failed)
  int64_t inference_latency_ms = 0;  // the backend call
  int64_t total_latency_ms = 0;      // capture of the newest frame used -> the message sent
  bool ok = false;
  std::string error;                 // "" when ok
  std::optional<std::string> finish_reason;
  std::optional<int64_t> first_frame;  // frame_range.first / .last (lifetime indices)
  std::optional<int64_t> last_frame;
  std::string media_url;               // "" when no frame was selected
};

// The wire text of one result message.
std::string result_message(const JobResult& r);

}  // namespace sl::jobs
