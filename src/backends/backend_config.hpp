// Configuration of one remote OpenAI-compatible backend, and its two spellings: the command
// line form of SPEC.md section 8,
//   MODEL=BASE_URL[;api_key_env=VAR][;video=frames|native][;upstream_model=NAME][;timeout_ms=N]
//   [;max_concurrent=N][;probe_interval_ms=N]
// (also accepting the individual *_timeout_ms keys and ca_file), and the config file's JSON
// object with the same keys plus "model" and "base_url". Unknown keys are errors, so a typo in
// a config file fails at start-up instead of being silently ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "backends/upstream_format.hpp"
#include "core/status.hpp"

namespace sl {

struct HttpBackendConfig {
  std::string model;           // client-facing model id
  std::string base_url;        // e.g. "http://127.0.0.1:8000/v1"; requests go to {base}/chat/completions
  std::string api_key_env;     // environment variable holding the upstream API key; "" = none
  std::string upstream_model;  // model name sent upstream; "" = same as `model`
  VideoMode video = VideoMode::frames;
  int64_t connect_timeout_ms = 5000;
  int64_t first_byte_timeout_ms = 60000;
  int64_t idle_timeout_ms = 60000;
  int64_t total_timeout_ms = 600000;  // "timeout_ms" sets this one
  size_t max_response_bytes = 16 * 1024 * 1024;
  std::string ca_file;         // extra PEM trust anchors for https, besides the system CAs
  int64_t max_concurrent = 0;  // capacity: this many requests in flight reads `saturated`; 0 = none
  int64_t probe_interval_ms = 10000;  // GET {base}/models health probe period; 0 = no probes
};

// Errors are invalid_request with a message naming the offending key; `param` is "--backend".
Result<HttpBackendConfig> parse_backend_spec(std::string_view spec);

// One JSON object: {"model","base_url", ...keys as above}. `param` names it in errors (e.g.
// "backends[2]"). When `model` is given (the object was keyed by model id), "model" may be
// omitted.
Result<HttpBackendConfig> parse_backend_json(const boost::json::value& value, const std::string& param,
                                             std::string_view model = {});

// The config file's "backends": an array of objects, or an object keyed by model id.
Result<std::vector<HttpBackendConfig>> parse_backends_json(const boost::json::value& value);

}  // namespace sl
