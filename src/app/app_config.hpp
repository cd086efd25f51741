// Everything an operator can set, with its default (docs/configuration.md documents each), and
// how it is assembled: defaults, then the JSON config file, then SIGHTLINE_API_KEYS, then
// command-line flags (flags win; API keys from all three are combined). Unknown keys in the
// file are errors that name the key, so a typo never silently falls back to a default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/ws_settings.hpp"
#include "app/cli.hpp"
#include "app/webrtc_config.hpp"
#include "backends/backend_config.hpp"
#include "core/status.hpp"
#include "net/pool_settings.hpp"

namespace sl::app {

struct ModelSpec {
  std::string model;
  std::string checkpoint_dir;
  std::string precision;  // empty: engine.precision
  std::string device;     // empty: engine.device
};

// The in-process engine (local models from --model / `models`): docs/configuration.md.
struct EngineSettings {
  int max_concurrent = 1;   // generations running at once, per model
  int max_queue = 8;        // requests waiting for one, per model; beyond: 503
  int threads = 0;          // libtorch intra-op threads; 0: one per CPU core
  int64_t vision_cache_bytes = 256ll << 20;
  std::string precision = "f32";  // f32 | bf16
  std::string device = "cpu";     // cpu | cuda | cuda:N
};

struct LimitsSettings {
  int max_streams_per_key = 16;
  int64_t max_pixel_rate_per_key = 500'000'000;    // decoded pixels/s over a key's live streams
  int64_t max_retained_bytes_per_key = 4ll << 30;  // what a key's live streams retain now
  int64_t max_concurrent_requests_per_key = 32;    // chat completions in flight per key
  int64_t max_body_bytes = 64ll << 20;
  int64_t max_header_bytes = 32ll << 10;
  int max_connections = 1024;
  int64_t header_timeout_ms = 10'000;
  int64_t body_timeout_ms = 60'000;
  int64_t idle_timeout_ms = 30'000;
  int64_t write_timeout_ms = 30'000;
};

struct StreamsSettings {
  int64_t default_retention_seconds = 600;
  int64_t max_retention_seconds = 3'600;
  int64_t default_ttl_seconds = 300;
  int64_t max_ttl_seconds = 86'400;
  int64_t ended_linger_seconds = 300;
  int64_t max_bytes_per_stream = 512ll << 20;
  int decoded_keep = 8;
  int64_t rendition_bytes = 16ll << 20;
  bool keep_second_jpegs = true;
};

struct IngestSettings {
  int64_t connect_timeout_ms = 5'000;
  int64_t read_timeout_ms = 5'000;
  int64_t backoff_initial_ms = 250;
  int64_t backoff_max_ms = 10'000;
  int max_reconnects = -1;
  int max_width = 7680;
  int max_height = 4320;
};

// Chat Completions: per-request limits and the pool that resolves/renders references.
struct ChatSettings {
  int max_refs_per_request = 32;
  int64_t max_frames_per_request = 512;
  int64_t max_data_url_bytes = 20ll << 20;
  int jpeg_quality = 85;
  int media_threads = 2;
  int media_nice = 10;  // the media pool's and GOP helpers' nice, above the server's (0: as the network threads)
  int max_remote_video_frames = 32;
};

// Continuous inference (jobs/job_runner.hpp). A clip's frame cap and JPEG quality are chat's.
struct JobsSettings {
  int max_concurrent_runs = 64;     // runs going at once over all streams; a due run beyond: skipped
  int64_t run_timeout_ms = 60'000;  // one run's model call
  int64_t min_gap_ms = 100;         // clip delay_seconds 0 (back-to-back): runs at most this often
  int64_t max_prompt_bytes = 32768; // inference.prompt (create and PATCH); it goes to the model every run
};

// Fetching http(s) media on a user's behalf (frames-mode backends given a video URL).
struct FetchSettings {
  bool allow_private = false;             // loopback, private, link-local, CGNAT
  std::vector<std::string> allow_cidrs;   // extra ranges, e.g. "10.1.0.0/16"
  int64_t max_bytes = 64ll << 20;
  int64_t timeout_ms = 10'000;
  int max_redirects = 3;
};

struct AppConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::vector<std::string> api_keys;
  std::string data_dir;
  bool demo = false;
  bool insecure_no_auth = false;
  std::string allow_file_root;
  LimitsSettings limits;
  StreamsSettings streams;
  IngestSettings ingest;
  ChatSettings chat;
  JobsSettings jobs;
  FetchSettings fetch;
  api::WsSettings websocket;  // the api module's struct, embedded: one default per setting
  net::PoolSettings outbound;  // keep-alive pools of outbound HTTP (backends and fetches)
  WebRtcSettings webrtc;
  std::vector<std::string> cors_origins;
  std::string metrics_token;
  int threads = 0;  // 0: one per CPU core
  std::vector<HttpBackendConfig> backends;  // parsed by backends/backend_config.hpp
  std::vector<ModelSpec> models;
  EngineSettings engine;
  std::string log_level = "info";
  int64_t shutdown_grace_ms = 10'000;
  // glibc malloc arenas for the process (0: glibc's default, 8 per core). Few arenas keep the
  // memory that decoding threads free reusable by the others instead of stranded per thread.
  int malloc_arenas = 2;
};

// Applies a JSON config document on top of `config`. Errors are invalid_request naming the key
// (e.g. "limits.max_body_bytes").
Status apply_config_json(std::string_view text, AppConfig& config);

// Every key the config file takes, as "section.key" ("models[].device" for list items): the
// tables apply_config_json reads, for the check that docs/configuration.md lists each.
std::vector<std::string> config_file_keys();

// Defaults + file (cli.config_file) + env keys + flags, validated.
Result<AppConfig> load_config(const CliOptions& cli, const std::optional<std::string>& env_api_keys);

// With no key and no insecure mode, makes one ("sl-" + 48 hex digits), adds it and returns it.
std::optional<std::string> ensure_api_key(AppConfig& config);

// Parsers shared by flags and the file.
Result<std::pair<std::string, uint16_t>> parse_listen(std::string_view text);
Result<ModelSpec> parse_model_flag(std::string_view text);
std::vector<std::string> split_keys(std::string_view comma_separated);

}  // namespace sl::app
