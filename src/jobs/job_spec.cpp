#include "jobs/job_spec.hpp"

#include <cmath>
#include <cstdio>

#include "core/json_text.hpp"

namespace sl::jobs {
namespace json = boost::json;

namespace {

Error wrong_type(const std::string& param, const char* what) {
  return make_error(ErrorCode::invalid_request, "'" + param + "' must be " + what + ".", param);
}

Error out_of_range(const std::string& param, const std::string& range) {
  return make_error(ErrorCode::invalid_value, "'" + param + "' must be " + range + ".", param);
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A number field, absent: nullopt.
Result<std::optional<double>> number(const json::object& o, const char* key,
                                     const std::string& param) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<double>();
  if (v->is_int64()) return std::optional<double>(static_cast<double>(v->get_int64()));
  if (v->is_uint64()) return std::optional<double>(static_cast<double>(v->get_uint64()));
  if (v->is_double()) return std::optional<double>(v->get_double());
  return wrong_type(param, "a number");
}

Result<std::optional<double>> ranged(const json::object& o, const char* key, const std::string& prefix,
                                     double lo, double hi) {
  const std::string param = prefix + key;
  auto v = number(o, key, param);
  if (!v.ok() || !v->has_value()) return v;
  if (!(**v >= lo && **v <= hi))
    return out_of_range(param, "from " + number_text(lo) + " to " + number_text(hi));
  return v;
}

Result<std::optional<std::string>> text(const json::object& o, const char* key,
                                        const std::string& param) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return wrong_type(param, "a string");
  return std::optional<std::string>(std::string(v->get_string()));
}

int64_t to_ms(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1000.0)); }

Status read_processing(const json::object& p, JobSpec& spec) {
  const std::string pre = "processing.";
  auto mode = text(p, "mode", pre + "mode");
  if (!mode.ok()) return mode.error();
  if (mode->has_value()) {
    if (**mode == "clip") spec.mode = JobMode::clip;
    else if (**mode == "frame") spec.mode = JobMode::frame;
    else return out_of_range(pre + "mode", "\"clip\" or \"frame\"");
  }
  if (spec.mode == JobMode::frame) {
    auto interval = ranged(p, "interval_seconds", pre, 0.1, 60);
    if (!interval.ok()) return interval.error();
    if (interval->has_value()) spec.interval_ms = to_ms(**interval);
    return Status();
  }
  auto length = ranged(p, "clip_length_seconds", pre, 0.1, 60);
  if (!length.ok()) return length.error();
  if (length->has_value()) spec.clip_length_ms = to_ms(**length);
  auto delay = ranged(p, "delay_seconds", pre, 0, 60);
  if (!delay.ok()) return delay.error();
  if (delay->has_value()) spec.delay_ms = to_ms(**delay);

  auto target = number(p, "target_fps", pre + "target_fps");
  if (!target.ok()) return target.error();
  auto fps = number(p, "fps", pre + "fps");
  if (!fps.ok()) return fps.error();
  auto ratio = number(p, "sampling_ratio", pre + "sampling_ratio");
  if (!ratio.ok()) return ratio.error();
  if (target->has_value()) {
    if (**target != std::floor(**target) || **target < 1 || **target > 30)
      return out_of_range(pre + "target_fps", "an integer from 1 to 30");
    spec.target_fps = static_cast<int>(**target);
  } else if (fps->has_value() || ratio->has_value()) {
    // The legacy pair: target_fps = int(fps * sampling_ratio), Overshoot's defaults 30 and 0.1.
    const double f = fps->value_or(30.0);
    const double r = ratio->value_or(0.1);
    if (!(f > 0 && f <= 120)) return out_of_range(pre + "fps", "from 0 (exclusive) to 120");
    if (!(r > 0 && r <= 1)) return out_of_range(pre + "sampling_ratio", "from 0 (exclusive) to 1");
    const double t = std::floor(f * r);
    if (t < 1 || t > 30)
      return out_of_range(pre + "sampling_ratio",
                          "such that int(fps * sampling_ratio) is from 1 to 30 (it is " +
                              number_text(t) + ")");
    spec.target_fps = static_cast<int>(t);
  }
  // At least 3 frames per clip (SPEC section 5).
  if (static_cast<int64_t>(spec.target_fps) * spec.clip_length_ms < 3000)
    return out_of_range(pre + "clip_length_seconds",
                        "long enough for 3 frames at target_fps " +
                            std::to_string(spec.target_fps) + " (target_fps * clip_length_seconds >= 3)");
  return Status();
}

Status read_inference(const json::object& i, JobSpec& spec) {
  const std::string pre = "inference.";
  auto prompt = text(i, "prompt", pre + "prompt");
  if (!prompt.ok()) return prompt.error();
  if (prompt->has_value()) spec.prompt = **prompt;
  auto model = text(i, "model", pre + "model");
  if (!model.ok()) return model.error();
  if (model->has_value()) spec.model = **model;
  auto backend = text(i, "backend", pre + "backend");
  if (!backend.ok()) return backend.error();
  if (backend->has_value()) spec.backend = **backend;
  if (const json::value* schema = i.if_contains("output_schema_json");
      schema && !schema->is_null()) {
    if (!schema->is_object()) return wrong_type(pre + "output_schema_json", "a JSON Schema object");
    spec.output_schema_json = json_text(*schema);
  }
  auto max_tokens = ranged(i, "max_output_tokens", pre, 1, 65536);
  if (!max_tokens.ok()) return max_tokens.error();
  if (max_tokens->has_value()) {
    if (**max_tokens != std::floor(**max_tokens))
      return out_of_range(pre + "max_output_tokens", "an integer from 1 to 65536");
    spec.max_output_tokens = static_cast<int64_t>(**max_tokens);
  }
  return Status();
}

}  // namespace

const char* to_string(JobMode mode) { return mode == JobMode::clip ? "clip" : "frame"; }

int64_t clip_frames(const JobSpec& spec) {
  return (static_cast<int64_t>(spec.target_fps) * spec.clip_length_ms + 999) / 1000;
}

Status check_prompt(const std::string& prompt, const JobLimits& limits, const std::string& param) {
  if (prompt.find_first_not_of(" \t\r\n") == std::string::npos)
    return make_error(ErrorCode::invalid_value,
                      "'" + param + "' is required for continuous inference and must not be empty.", param);
  if (prompt.size() > limits.max_prompt_bytes)
    return make_error(ErrorCode::invalid_value,
                      "'" + param + "' is " + std::to_string(prompt.size()) + " bytes; at most " +
                          std::to_string(limits.max_prompt_bytes) + " (jobs.max_prompt_bytes).",
                      param);
  return Status();
}

Result<std::optional<JobSpec>> parse_job_spec(const json::object* processing,
                                              const json::object* inference, const JobLimits& limits) {
  if (!processing && !inference) return std::optional<JobSpec>();
  JobSpec spec;
  if (processing) {
    if (Status s = read_processing(*processing, spec); !s.ok()) return s.error();
  }
  if (inference) {
    if (Status s = read_inference(*inference, spec); !s.ok()) return s.error();
  }
  if (Status s = check_prompt(spec.prompt, limits, "inference.prompt"); !s.ok()) return s.error();
  if (spec.mode == JobMode::clip && clip_frames(spec) > limits.max_frames)
    return out_of_range("processing.clip_length_seconds",
                        "short enough that target_fps * clip_length_seconds selects at most " +
                            std::to_string(limits.max_frames) + " frames (chat.max_frames_per_request; it selects " +
                            std::to_string(clip_frames(spec)) + ")");
  return std::optional<JobSpec>(std::move(spec));
}

}  // namespace sl::jobs
