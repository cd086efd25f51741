#include "app/app_config.hpp"

#include "core/json_read.hpp"

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "app/config_table.hpp"
#include "core/random_id.hpp"

namespace sl::app {
namespace json = boost::json;
namespace {

Error bad(const std::string& key, const std::string& message) {
  return make_error(ErrorCode::invalid_request, message, key);
}

constexpr int64_t kMaxI64 = kConfigMaxI64;
constexpr int64_t kMaxInt = kConfigMaxInt;

// One row per key (docs/configuration.md documents each; app_test checks that it does).
const Setting<LimitsSettings> kLimits[] = {
    {"max_streams_per_key", &LimitsSettings::max_streams_per_key, 1, kMaxInt},
    {"max_pixel_rate_per_key", &LimitsSettings::max_pixel_rate_per_key, 0, kMaxI64},
    {"max_retained_bytes_per_key", &LimitsSettings::max_retained_bytes_per_key, 0, kMaxI64},
    {"max_concurrent_requests_per_key", &LimitsSettings::max_concurrent_requests_per_key, 0, kMaxI64},
    {"max_body_bytes", &LimitsSettings::max_body_bytes, 1, kMaxI64},
    {"max_header_bytes", &LimitsSettings::max_header_bytes, 1024, kMaxInt},
    {"max_connections", &LimitsSettings::max_connections, 1, kMaxInt},
    {"header_timeout_ms", &LimitsSettings::header_timeout_ms, 1, kMaxI64},
    {"body_timeout_ms", &LimitsSettings::body_timeout_ms, 1, kMaxI64},
    {"idle_timeout_ms", &LimitsSettings::idle_timeout_ms, 1, kMaxI64},
    {"write_timeout_ms", &LimitsSettings::write_timeout_ms, 1, kMaxI64},
};

const Setting<StreamsSettings> kStreams[] = {
    {"default_retention_seconds", &StreamsSettings::default_retention_seconds, 1, kMaxI64},
    {"max_retention_seconds", &StreamsSettings::max_retention_seconds, 1, kMaxI64},
    {"default_ttl_seconds", &StreamsSettings::default_ttl_seconds, 1, kMaxI64},
    {"max_ttl_seconds", &StreamsSettings::max_ttl_seconds, 1, kMaxI64},
    {"ended_linger_seconds", &StreamsSettings::ended_linger_seconds, 0, kMaxI64},
    {"max_bytes_per_stream", &StreamsSettings::max_bytes_per_stream, 1, kMaxI64},
    {"decoded_keep", &StreamsSettings::decoded_keep, 1, kMaxInt},
    {"rendition_bytes", &StreamsSettings::rendition_bytes, 0, kMaxI64},
    {"keep_second_jpegs", &StreamsSettings::keep_second_jpegs},
};

const Setting<IngestSettings> kIngest[] = {
    {"connect_timeout_ms", &IngestSettings::connect_timeout_ms, 1, kMaxI64},
    {"read_timeout_ms", &IngestSettings::read_timeout_ms, 1, kMaxI64},
    {"backoff_initial_ms", &IngestSettings::backoff_initial_ms, 1, kMaxI64},
    {"backoff_max_ms", &IngestSettings::backoff_max_ms, 1, kMaxI64},
    {"max_reconnects", &IngestSettings::max_reconnects, -1, kMaxInt},
    {"max_width", &IngestSettings::max_width, 1, kMaxInt},
    {"max_height", &IngestSettings::max_height, 1, kMaxInt},
};

const Setting<ChatSettings> kChat[] = {
    {"max_refs_per_request", &ChatSettings::max_refs_per_request, 1, 10'000},
    {"max_frames_per_request", &ChatSettings::max_frames_per_request, 1, 100'000},
    {"max_data_url_bytes", &ChatSettings::max_data_url_bytes, 1, kMaxI64},
    {"jpeg_quality", &ChatSettings::jpeg_quality, 1, 100},
    {"media_threads", &ChatSettings::media_threads, 1, 256},
    {"media_nice", &ChatSettings::media_nice, 0, 19},
    {"max_remote_video_frames", &ChatSettings::max_remote_video_frames, 1, 10'000},
};

const Setting<JobsSettings> kJobs[] = {
    {"max_concurrent_runs", &JobsSettings::max_concurrent_runs, 1, 100'000},
    {"run_timeout_ms", &JobsSettings::run_timeout_ms, 1, kMaxI64},
    {"min_gap_ms", &JobsSettings::min_gap_ms, 0, 3'600'000},
    {"max_prompt_bytes", &JobsSettings::max_prompt_bytes, 1, 16 << 20},
};

const Setting<FetchSettings> kFetch[] = {
    {"allow_private", &FetchSettings::allow_private},
    {"allow_cidrs", &FetchSettings::allow_cidrs},
    {"max_bytes", &FetchSettings::max_bytes, 1, kMaxI64},
    {"timeout_ms", &FetchSettings::timeout_ms, 1, kMaxI64},
    {"max_redirects", &FetchSettings::max_redirects, 0, 20},
};

const Setting<api::WsSettings> kWebsocket[] = {
    {"max_sessions", &api::WsSettings::max_sessions, 1, kMaxInt},
    {"max_sessions_per_key", &api::WsSettings::max_sessions_per_key, 1, kMaxInt},
    {"max_queue_messages", &api::WsSettings::max_queue_messages, 1, kMaxInt},
    {"max_queue_bytes", &api::WsSettings::max_queue_bytes, 1, kMaxI64},
    {"max_drops_in_a_row", &api::WsSettings::max_drops_in_a_row, 0, kMaxInt},
    {"send_timeout_ms", &api::WsSettings::send_timeout_ms, 0, kMaxI64},
    {"max_message_bytes", &api::WsSettings::max_message_bytes, 1, kMaxI64},
    {"auth_timeout_ms", &api::WsSettings::auth_timeout_ms, 1, kMaxI64},
    {"handshake_timeout_ms", &api::WsSettings::handshake_timeout_ms, 1, kMaxI64},
    {"idle_timeout_ms", &api::WsSettings::idle_timeout_ms, 1, kMaxI64},
    {"close_timeout_ms", &api::WsSettings::close_timeout_ms, 1, kMaxI64},
};

const Setting<net::PoolSettings> kOutbound[] = {
    {"max_idle_per_host", &net::PoolSettings::max_idle_per_host, 0, 10'000},
    {"max_connections_per_host", &net::PoolSettings::max_connections_per_host, 1, 100'000},
    {"idle_timeout_ms", &net::PoolSettings::idle_timeout_ms, 1, kMaxI64},
};

const Setting<EngineSettings> kEngine[] = {
    {"max_concurrent", &EngineSettings::max_concurrent, 1, 1024},
    {"max_queue", &EngineSettings::max_queue, 0, 100'000},
    {"threads", &EngineSettings::threads, 0, 1024},
    {"vision_cache_bytes", &EngineSettings::vision_cache_bytes, 0, kMaxI64},
    {"precision", &EngineSettings::precision},
    {"device", &EngineSettings::device},
};

Status check_engine(const EngineSettings& s) {
  if (s.precision != "f32" && s.precision != "bf16")
    return bad("engine.precision", "'engine.precision' must be f32 or bf16");
  if (s.device.empty()) return bad("engine.device", "'engine.device' must not be empty");
  return {};
}

// A nested section: an object read with its own table into the AppConfig member.
template <auto Member, const auto& Table>
Status read_section(const json::value& v, const std::string& name, AppConfig& c) {
  if (!v.is_object()) return bad(name, "'" + name + "' must be an object");
  return read_settings(v.as_object(), name, std::span(Table), c.*Member);
}

const Setting<ModelSpec> kModel[] = {
    {"model", &ModelSpec::model},
    {"checkpoint_dir", &ModelSpec::checkpoint_dir},
    {"precision", &ModelSpec::precision},
    {"device", &ModelSpec::device},
};

Status read_models(const json::value& v, const std::string& name, AppConfig& c) {
  if (!v.is_array()) return bad(name, "'" + name + "' must be an array");
  std::vector<ModelSpec> list;
  const auto& arr = v.as_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string prefix = name + "[" + std::to_string(i) + "]";
    if (arr[i].is_string()) {
      auto m = parse_model_flag(arr[i].as_string());
      if (!m.ok()) return bad(prefix, prefix + ": " + m.error().message);
      list.push_back(std::move(*m));
      continue;
    }
    if (!arr[i].is_object()) return bad(prefix, "'" + prefix + "' must be an object");
    ModelSpec m;
    if (Status s = read_settings(arr[i].as_object(), prefix, std::span(kModel), m); !s.ok()) return s;
    if (!m.precision.empty() && m.precision != "f32" && m.precision != "bf16")
      return bad(prefix + ".precision", "'" + prefix + ".precision' must be f32 or bf16");
    if (m.model.empty() || m.checkpoint_dir.empty())
      return bad(prefix, prefix + ": needs 'model' and 'checkpoint_dir'");
    list.push_back(std::move(m));
  }
  c.models = std::move(list);
  return {};
}

Status read_backends(const json::value& v, const std::string&, AppConfig& c) {
  auto list = parse_backends_json(v);
  if (!list.ok()) return list.error();
  c.backends = std::move(*list);
  return {};
}

Status read_listen(const json::value& v, const std::string& name, AppConfig& c) {
  auto text = config_string(v, name);
  if (!text.ok()) return text.error();
  if (text->empty()) return {};
  auto l = parse_listen(*text);
  if (!l.ok()) return l.error();
  c.listen_host = l->first;
  c.listen_port = l->second;
  return {};
}

Status read_webrtc(const json::value& v, const std::string& name, AppConfig& c) {
  if (!v.is_object()) return bad(name, "'" + name + "' must be an object");
  return read_webrtc_config(v.as_object(), c.webrtc);
}

Status read_engine(const json::value& v, const std::string& name, AppConfig& c) {
  if (Status s = read_section<&AppConfig::engine, kEngine>(v, name, c); !s.ok()) return s;
  return check_engine(c.engine);
}

// Declared before its definition below: parse_listen and parse_model_flag are public.
const Setting<AppConfig> kTop[] = {
    {"listen", &read_listen},
    {"api_keys", &AppConfig::api_keys},
    {"data_dir", &AppConfig::data_dir},
    {"demo", &AppConfig::demo},
    {"insecure_no_auth", &AppConfig::insecure_no_auth},
    {"allow_file_root", &AppConfig::allow_file_root},
    {"cors_origins", &AppConfig::cors_origins},
    {"metrics_token", &AppConfig::metrics_token},
    {"threads", &AppConfig::threads, 0, 1024},
    {"log_level", &AppConfig::log_level},
    {"shutdown_grace_ms", &AppConfig::shutdown_grace_ms, 0, kMaxI64},
    {"malloc_arenas", &AppConfig::malloc_arenas, 0, 1024},
    {"limits", &read_section<&AppConfig::limits, kLimits>},
    {"streams", &read_section<&AppConfig::streams, kStreams>},
    {"ingest", &read_section<&AppConfig::ingest, kIngest>},
    {"chat", &read_section<&AppConfig::chat, kChat>},
    {"jobs", &read_section<&AppConfig::jobs, kJobs>},
    {"fetch", &read_section<&AppConfig::fetch, kFetch>},
    {"websocket", &read_section<&AppConfig::websocket, kWebsocket>},
    {"outbound", &read_section<&AppConfig::outbound, kOutbound>},
    {"webrtc", &read_webrtc},
    {"engine", &read_engine},
    {"backends", &read_backends},
    {"models", &read_models},
};

bool valid_log_level(const std::string& l) {
  return l == "debug" || l == "info" || l == "warn" || l == "error";
}

Status validate(const AppConfig& c) {
  if (!valid_log_level(c.log_level))
    return bad("log_level", "log level must be debug, info, warn or error, not '" + c.log_level + "'");
  if (c.threads < 0 || c.threads > 1024) return bad("threads", "threads must be between 0 and 1024");
  if (c.limits.max_streams_per_key < 1) return bad("limits.max_streams_per_key", "max streams per key must be at least 1");
  if (c.limits.max_body_bytes < 1) return bad("limits.max_body_bytes", "max body bytes must be at least 1");
  if (c.shutdown_grace_ms < 0) return bad("shutdown_grace_ms", "shutdown grace must not be negative");
  if (c.streams.default_retention_seconds > c.streams.max_retention_seconds)
    return bad("streams.default_retention_seconds",
               "streams.default_retention_seconds exceeds streams.max_retention_seconds");
  if (c.streams.default_ttl_seconds > c.streams.max_ttl_seconds)
    return bad("streams.default_ttl_seconds", "streams.default_ttl_seconds exceeds streams.max_ttl_seconds");
  for (const auto& k : c.api_keys)
    for (char ch : k)
      if (static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f)
        return bad("api_keys", "API keys must not contain spaces or control characters");
  return {};
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

void add_unique(std::vector<std::string>& list, const std::string& v) {
  if (v.empty()) return;
  for (const auto& e : list)
    if (e == v) return;
  list.push_back(v);
}

}  // namespace

Result<std::pair<std::string, uint16_t>> parse_listen(std::string_view text) {
  std::string host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("listen", "listen address must look like HOST:PORT or [IPV6]:PORT, not '" + std::string(text) + "'");
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || text.find(':') != colon)
      return bad("listen", "listen address must look like HOST:PORT, not '" + std::string(text) + "'");
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p > 65535)
    return bad("listen", "invalid port in listen address '" + std::string(text) + "'");
  if (host.empty()) return bad("listen", "missing host in listen address '" + std::string(text) + "'");
  return std::make_pair(host, static_cast<uint16_t>(p));
}

Result<ModelSpec> parse_model_flag(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    return bad("models", "model must look like MODEL=CHECKPOINT_DIR");
  return ModelSpec{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)), {}, {}};
}

std::vector<std::string> split_keys(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    size_t comma = s.find(',');
    add_unique(out, trim(s.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

Status apply_config_json(std::string_view text, AppConfig& c) {
  auto doc = read_json(text);
  if (!doc.ok()) return bad("", "config file is not valid JSON: " + doc.error().message);
  if (!doc->is_object()) return bad("", "config file must hold a JSON object");
  return read_settings(doc->as_object(), "", std::span(kTop), c);
}

std::vector<std::string> config_file_keys() {
  std::vector<std::string> keys;
  collect_keys("", std::span(kTop), keys);
  collect_keys("limits", std::span(kLimits), keys);
  collect_keys("streams", std::span(kStreams), keys);
  collect_keys("ingest", std::span(kIngest), keys);
  collect_keys("chat", std::span(kChat), keys);
  collect_keys("jobs", std::span(kJobs), keys);
  collect_keys("fetch", std::span(kFetch), keys);
  collect_keys("websocket", std::span(kWebsocket), keys);
  collect_keys("outbound", std::span(kOutbound), keys);
  collect_keys("engine", std::span(kEngine), keys);
  collect_keys("models[]", std::span(kModel), keys);
  for (std::string_view k : webrtc_config_keys()) keys.push_back("webrtc." + std::string(k));
  return keys;
}

Result<AppConfig> load_config(const CliOptions& cli, const std::optional<std::string>& env_api_keys) {
  AppConfig c;
  if (cli.config_file) {
    std::ifstream in(*cli.config_file, std::ios::binary);
    if (!in) return bad("config", "cannot read config file '" + *cli.config_file + "'");
    std::ostringstream text;
    text << in.rdbuf();
    Status s = apply_config_json(text.str(), c);
    if (!s.ok()) {
      Error e = s.error();
      e.message = *cli.config_file + ": " + e.message;
      return e;
    }
  }
  // API keys: file, then environment, then flags, all accepted.
  std::vector<std::string> keys;
  for (const auto& k : c.api_keys) add_unique(keys, trim(k));
  if (env_api_keys)
    for (const auto& k : split_keys(*env_api_keys)) add_unique(keys, k);
  for (const auto& k : cli.api_keys) add_unique(keys, trim(k));
  c.api_keys = std::move(keys);

  if (cli.listen) {
    auto l = parse_listen(*cli.listen);
    if (!l.ok()) return l.error();
    c.listen_host = l->first;
    c.listen_port = l->second;
  }
  if (cli.data_dir) c.data_dir = *cli.data_dir;
  if (cli.demo) c.demo = true;
  if (cli.insecure_no_auth) c.insecure_no_auth = true;
  if (cli.allow_file_root) c.allow_file_root = *cli.allow_file_root;
  if (cli.max_streams_per_key) {
    if (*cli.max_streams_per_key < 1 || *cli.max_streams_per_key > kMaxInt)
      return bad("limits.max_streams_per_key", "--max-streams-per-key must be at least 1");
    c.limits.max_streams_per_key = static_cast<int>(*cli.max_streams_per_key);
  }
  if (cli.max_body_bytes) c.limits.max_body_bytes = *cli.max_body_bytes;
  if (cli.threads) {
    if (*cli.threads < 0 || *cli.threads > 1024) return bad("threads", "--threads must be between 0 and 1024");
    c.threads = static_cast<int>(*cli.threads);
  }
  if (!cli.cors_origins.empty()) c.cors_origins = cli.cors_origins;
  if (cli.metrics_token) c.metrics_token = *cli.metrics_token;
  if (cli.log_level) c.log_level = *cli.log_level;
  if (cli.shutdown_grace_ms) c.shutdown_grace_ms = *cli.shutdown_grace_ms;
  if (!cli.backends.empty()) {
    std::vector<HttpBackendConfig> list;
    for (const auto& f : cli.backends) {
      auto b = parse_backend_spec(f);
      if (!b.ok()) return b.error();
      list.push_back(std::move(*b));
    }
    c.backends = std::move(list);
  }
  if (!cli.models.empty()) {
    std::vector<ModelSpec> list;
    for (const auto& f : cli.models) {
      auto m = parse_model_flag(f);
      if (!m.ok()) return m.error();
      list.push_back(std::move(*m));
    }
    c.models = std::move(list);
  }
  if (Status s = validate(c); !s.ok()) return s.error();
  return c;
}

std::optional<std::string> ensure_api_key(AppConfig& c) {
  if (c.insecure_no_auth || !c.api_keys.empty()) return std::nullopt;
  std::string key = random_hex_id("sl-", 24);
  c.api_keys.push_back(key);
  return key;
}

}  // namespace sl::app
