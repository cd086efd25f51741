#include "app/app_config.hpp"

#include "core/json_read.hpp"

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/random_id.hpp"

namespace sl::app {
namespace json = boost::json;
namespace {

Error bad(const std::string& key, const std::string& message) {
  return make_error(ErrorCode::invalid_request, message, key);
}

std::string join(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

// Reads one JSON object with a fixed set of keys; each key has a setter.
class ObjectReader {
 public:
  ObjectReader(const json::object& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  Status unknown_keys(std::initializer_list<std::string_view> known) const {
    for (const auto& kv : obj_) {
      bool ok = false;
      for (auto k : known) ok = ok || kv.key() == k;
      if (!ok) {
        std::string key = join(prefix_, kv.key());
        return bad(key, "unknown config key '" + key + "'");
      }
    }
    return {};
  }

  const json::value* get(std::string_view key) const {
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &it->value();
  }

  template <class Int>
  Status integer(std::string_view key, Int& out, int64_t min, int64_t max) const {
    const json::value* v = get(key);
    if (!v) return {};
    std::string name = join(prefix_, key);
    int64_t n = 0;
    if (v->is_int64()) n = v->as_int64();
    else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(max)) n = static_cast<int64_t>(v->as_uint64());
    else if (v->is_uint64()) return bad(name, "'" + name + "' is too large");
    else return bad(name, "'" + name + "' must be an integer");
    if (n < min || n > max)
      return bad(name, "'" + name + "' must be between " + std::to_string(min) + " and " +
                           std::to_string(max));
    out = static_cast<Int>(n);
    return {};
  }

  Status boolean(std::string_view key, bool& out) const {
    const json::value* v = get(key);
    if (!v) return {};
    if (!v->is_bool()) return bad(join(prefix_, key), "'" + join(prefix_, key) + "' must be true or false");
    out = v->as_bool();
    return {};
  }

  Status string(std::string_view key, std::string& out) const {
    const json::value* v = get(key);
    if (!v) return {};
    if (!v->is_string()) return bad(join(prefix_, key), "'" + join(prefix_, key) + "' must be a string");
    out = std::string(v->as_string());
    return {};
  }

  Status strings(std::string_view key, std::vector<std::string>& out) const {
    const json::value* v = get(key);
    if (!v) return {};
    std::string name = join(prefix_, key);
    if (!v->is_array()) return bad(name, "'" + name + "' must be an array of strings");
    std::vector<std::string> list;
    for (const auto& e : v->as_array()) {
      if (!e.is_string()) return bad(name, "'" + name + "' must be an array of strings");
      list.emplace_back(e.as_string());
    }
    out = std::move(list);
    return {};
  }

  const std::string& prefix() const { return prefix_; }

 private:
  const json::object& obj_;
  std::string prefix_;
};

#define SL_TRY(expr)                   \
  do {                                 \
    if (Status s_ = (expr); !s_.ok())  \
      return s_;                       \
  } while (0)

constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxInt = std::numeric_limits<int>::max();

Status section(const json::object& root, std::string_view key, const json::object*& out) {
  out = nullptr;
  auto it = root.find(key);
  if (it == root.end()) return {};
  if (!it->value().is_object()) return bad(std::string(key), "'" + std::string(key) + "' must be an object");
  out = &it->value().as_object();
  return {};
}

Status read_limits(const json::object& obj, LimitsSettings& l) {
  ObjectReader r(obj, "limits");
  SL_TRY(r.unknown_keys({"max_streams_per_key", "max_pixel_rate_per_key",
                         "max_retained_bytes_per_key", "max_concurrent_requests_per_key",
                         "max_body_bytes", "max_header_bytes",
                         "max_connections", "header_timeout_ms", "body_timeout_ms",
                         "idle_timeout_ms", "write_timeout_ms"}));
  SL_TRY(r.integer("max_streams_per_key", l.max_streams_per_key, 1, kMaxInt));
  SL_TRY(r.integer("max_pixel_rate_per_key", l.max_pixel_rate_per_key, 0, kMaxI64));
  SL_TRY(r.integer("max_retained_bytes_per_key", l.max_retained_bytes_per_key, 0, kMaxI64));
  SL_TRY(r.integer("max_concurrent_requests_per_key", l.max_concurrent_requests_per_key, 0,
                   kMaxI64));
  SL_TRY(r.integer("max_body_bytes", l.max_body_bytes, 1, kMaxI64));
  SL_TRY(r.integer("max_header_bytes", l.max_header_bytes, 1024, kMaxInt));
  SL_TRY(r.integer("max_connections", l.max_connections, 1, kMaxInt));
  SL_TRY(r.integer("header_timeout_ms", l.header_timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("body_timeout_ms", l.body_timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("idle_timeout_ms", l.idle_timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("write_timeout_ms", l.write_timeout_ms, 1, kMaxI64));
  return {};
}

Status read_streams(const json::object& obj, StreamsSettings& s) {
  ObjectReader r(obj, "streams");
  SL_TRY(r.unknown_keys({"default_retention_seconds", "max_retention_seconds",
                         "default_ttl_seconds", "max_ttl_seconds", "ended_linger_seconds",
                         "max_bytes_per_stream", "decoded_keep", "rendition_bytes",
                         "keep_second_jpegs"}));
  SL_TRY(r.integer("default_retention_seconds", s.default_retention_seconds, 1, kMaxI64));
  SL_TRY(r.integer("max_retention_seconds", s.max_retention_seconds, 1, kMaxI64));
  SL_TRY(r.integer("default_ttl_seconds", s.default_ttl_seconds, 1, kMaxI64));
  SL_TRY(r.integer("max_ttl_seconds", s.max_ttl_seconds, 1, kMaxI64));
  SL_TRY(r.integer("ended_linger_seconds", s.ended_linger_seconds, 0, kMaxI64));
  SL_TRY(r.integer("max_bytes_per_stream", s.max_bytes_per_stream, 1, kMaxI64));
  SL_TRY(r.integer("decoded_keep", s.decoded_keep, 1, kMaxInt));
  SL_TRY(r.integer("rendition_bytes", s.rendition_bytes, 0, kMaxI64));
  SL_TRY(r.boolean("keep_second_jpegs", s.keep_second_jpegs));
  return {};
}

Status read_ingest(const json::object& obj, IngestSettings& s) {
  ObjectReader r(obj, "ingest");
  SL_TRY(r.unknown_keys({"connect_timeout_ms", "read_timeout_ms", "backoff_initial_ms",
                         "backoff_max_ms", "max_reconnects", "max_width", "max_height"}));
  SL_TRY(r.integer("connect_timeout_ms", s.connect_timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("read_timeout_ms", s.read_timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("backoff_initial_ms", s.backoff_initial_ms, 1, kMaxI64));
  SL_TRY(r.integer("backoff_max_ms", s.backoff_max_ms, 1, kMaxI64));
  SL_TRY(r.integer("max_reconnects", s.max_reconnects, -1, kMaxInt));
  SL_TRY(r.integer("max_width", s.max_width, 1, kMaxInt));
  SL_TRY(r.integer("max_height", s.max_height, 1, kMaxInt));
  return {};
}

Status read_chat(const json::object& obj, ChatSettings& s) {
  ObjectReader r(obj, "chat");
  SL_TRY(r.unknown_keys({"max_refs_per_request", "max_frames_per_request", "max_data_url_bytes",
                         "jpeg_quality", "media_threads", "max_remote_video_frames"}));
  SL_TRY(r.integer("max_remote_video_frames", s.max_remote_video_frames, 1, 10'000));
  SL_TRY(r.integer("max_refs_per_request", s.max_refs_per_request, 1, 10'000));
  SL_TRY(r.integer("max_frames_per_request", s.max_frames_per_request, 1, 100'000));
  SL_TRY(r.integer("max_data_url_bytes", s.max_data_url_bytes, 1, kMaxI64));
  SL_TRY(r.integer("jpeg_quality", s.jpeg_quality, 1, 100));
  SL_TRY(r.integer("media_threads", s.media_threads, 1, 256));
  return {};
}

Status read_jobs(const json::object& obj, JobsSettings& s) {
  ObjectReader r(obj, "jobs");
  SL_TRY(r.unknown_keys({"max_concurrent_runs", "run_timeout_ms", "min_gap_ms"}));
  SL_TRY(r.integer("max_concurrent_runs", s.max_concurrent_runs, 1, 100'000));
  SL_TRY(r.integer("run_timeout_ms", s.run_timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("min_gap_ms", s.min_gap_ms, 0, 3'600'000));
  return {};
}

Status read_fetch(const json::object& obj, FetchSettings& s) {
  ObjectReader r(obj, "fetch");
  SL_TRY(r.unknown_keys({"allow_private", "allow_cidrs", "max_bytes", "timeout_ms", "max_redirects"}));
  SL_TRY(r.boolean("allow_private", s.allow_private));
  SL_TRY(r.strings("allow_cidrs", s.allow_cidrs));
  SL_TRY(r.integer("max_bytes", s.max_bytes, 1, kMaxI64));
  SL_TRY(r.integer("timeout_ms", s.timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("max_redirects", s.max_redirects, 0, 20));
  return {};
}

Status read_websocket(const json::object& obj, api::WsSettings& s) {
  ObjectReader r(obj, "websocket");
  SL_TRY(r.unknown_keys({"max_sessions", "max_sessions_per_key", "max_queue_messages",
                         "max_queue_bytes", "max_drops_in_a_row", "send_timeout_ms",
                         "max_message_bytes", "auth_timeout_ms", "handshake_timeout_ms",
                         "idle_timeout_ms", "close_timeout_ms"}));
  SL_TRY(r.integer("max_sessions", s.max_sessions, 1, kMaxInt));
  SL_TRY(r.integer("max_sessions_per_key", s.max_sessions_per_key, 1, kMaxInt));
  SL_TRY(r.integer("max_queue_messages", s.max_queue_messages, 1, kMaxInt));
  SL_TRY(r.integer("max_queue_bytes", s.max_queue_bytes, 1, kMaxI64));
  SL_TRY(r.integer("max_drops_in_a_row", s.max_drops_in_a_row, 0, kMaxInt));
  SL_TRY(r.integer("send_timeout_ms", s.send_timeout_ms, 0, kMaxI64));
  SL_TRY(r.integer("max_message_bytes", s.max_message_bytes, 1, kMaxI64));
  SL_TRY(r.integer("auth_timeout_ms", s.auth_timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("handshake_timeout_ms", s.handshake_timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("idle_timeout_ms", s.idle_timeout_ms, 1, kMaxI64));
  SL_TRY(r.integer("close_timeout_ms", s.close_timeout_ms, 1, kMaxI64));
  return {};
}

Status read_outbound(const json::object& obj, net::PoolSettings& s) {
  ObjectReader r(obj, "outbound");
  SL_TRY(r.unknown_keys({"max_idle_per_host", "max_connections_per_host", "idle_timeout_ms"}));
  SL_TRY(r.integer("max_idle_per_host", s.max_idle_per_host, 0, 10'000));
  SL_TRY(r.integer("max_connections_per_host", s.max_connections_per_host, 1, 100'000));
  SL_TRY(r.integer("idle_timeout_ms", s.idle_timeout_ms, 1, kMaxI64));
  return {};
}

Status read_backends(const json::value& v, std::vector<HttpBackendConfig>& out) {
  auto list = parse_backends_json(v);
  if (!list.ok()) return list.error();
  out = std::move(*list);
  return {};
}

Status read_models(const json::value& v, std::vector<ModelSpec>& out) {
  if (!v.is_array()) return bad("models", "'models' must be an array");
  std::vector<ModelSpec> list;
  const auto& arr = v.as_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string prefix = "models[" + std::to_string(i) + "]";
    if (arr[i].is_string()) {
      auto m = parse_model_flag(arr[i].as_string());
      if (!m.ok()) return bad(prefix, prefix + ": " + m.error().message);
      list.push_back(std::move(*m));
      continue;
    }
    if (!arr[i].is_object()) return bad(prefix, "'" + prefix + "' must be an object");
    ObjectReader r(arr[i].as_object(), prefix);
    SL_TRY(r.unknown_keys({"model", "checkpoint_dir"}));
    ModelSpec m;
    SL_TRY(r.string("model", m.model));
    SL_TRY(r.string("checkpoint_dir", m.checkpoint_dir));
    if (m.model.empty() || m.checkpoint_dir.empty())
      return bad(prefix, prefix + ": needs 'model' and 'checkpoint_dir'");
    list.push_back(std::move(m));
  }
  out = std::move(list);
  return {};
}

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
  return ModelSpec{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
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
  const json::object& root = doc->as_object();
  ObjectReader r(root, "");
  SL_TRY(r.unknown_keys({"listen", "api_keys", "data_dir", "demo", "insecure_no_auth",
                         "allow_file_root", "limits", "streams", "ingest", "chat", "jobs", "fetch", "websocket",
                         "outbound", "webrtc",
                         "cors_origins",
                         "metrics_token", "threads", "backends", "models", "log_level",
                         "shutdown_grace_ms"}));
  std::string listen;
  SL_TRY(r.string("listen", listen));
  if (!listen.empty()) {
    auto l = parse_listen(listen);
    if (!l.ok()) return l.error();
    c.listen_host = l->first;
    c.listen_port = l->second;
  }
  SL_TRY(r.strings("api_keys", c.api_keys));
  SL_TRY(r.string("data_dir", c.data_dir));
  SL_TRY(r.boolean("demo", c.demo));
  SL_TRY(r.boolean("insecure_no_auth", c.insecure_no_auth));
  SL_TRY(r.string("allow_file_root", c.allow_file_root));
  SL_TRY(r.strings("cors_origins", c.cors_origins));
  SL_TRY(r.string("metrics_token", c.metrics_token));
  SL_TRY(r.integer("threads", c.threads, 0, 1024));
  SL_TRY(r.string("log_level", c.log_level));
  SL_TRY(r.integer("shutdown_grace_ms", c.shutdown_grace_ms, 0, kMaxI64));
  const json::object* sec = nullptr;
  SL_TRY(section(root, "limits", sec));
  if (sec) SL_TRY(read_limits(*sec, c.limits));
  SL_TRY(section(root, "streams", sec));
  if (sec) SL_TRY(read_streams(*sec, c.streams));
  SL_TRY(section(root, "ingest", sec));
  if (sec) SL_TRY(read_ingest(*sec, c.ingest));
  SL_TRY(section(root, "chat", sec));
  if (sec) SL_TRY(read_chat(*sec, c.chat));
  SL_TRY(section(root, "jobs", sec));
  if (sec) SL_TRY(read_jobs(*sec, c.jobs));
  SL_TRY(section(root, "fetch", sec));
  if (sec) SL_TRY(read_fetch(*sec, c.fetch));
  SL_TRY(section(root, "websocket", sec));
  if (sec) SL_TRY(read_websocket(*sec, c.websocket));
  SL_TRY(section(root, "outbound", sec));
  if (sec) SL_TRY(read_outbound(*sec, c.outbound));
  SL_TRY(section(root, "webrtc", sec));
  if (sec) SL_TRY(read_webrtc_config(*sec, c.webrtc));
  if (const json::value* b = r.get("backends")) SL_TRY(read_backends(*b, c.backends));
  if (const json::value* m = r.get("models")) SL_TRY(read_models(*m, c.models));
  return {};
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
