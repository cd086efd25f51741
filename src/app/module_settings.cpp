#include "app/module_settings.hpp"

#include <algorithm>
#include <thread>

namespace sl::app {
namespace {

int per_core(int configured) {
  return configured > 0 ? configured : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

StreamsConfig streams_settings(const AppConfig& c) {
  StreamsConfig s;
  s.max_streams_per_key = c.limits.max_streams_per_key;
  s.max_pixel_rate_per_key = c.limits.max_pixel_rate_per_key;
  s.max_retained_bytes_per_key = c.limits.max_retained_bytes_per_key;
  s.default_ttl_seconds = c.streams.default_ttl_seconds;
  s.max_ttl_seconds = c.streams.max_ttl_seconds;
  s.max_retention_seconds = c.streams.max_retention_seconds;
  s.ended_linger_seconds = c.streams.ended_linger_seconds;
  s.store.retention_ms = c.streams.default_retention_seconds * 1000;
  s.store.max_bytes = static_cast<size_t>(c.streams.max_bytes_per_stream);
  s.store.decoded_keep = c.streams.decoded_keep;
  s.store.rendition_bytes = static_cast<size_t>(c.streams.rendition_bytes);
  s.keep_second_jpegs = c.streams.keep_second_jpegs;
  s.jpeg_quality = c.chat.jpeg_quality;
  s.ingest.connect_timeout_ms = c.ingest.connect_timeout_ms;
  s.ingest.read_timeout_ms = c.ingest.read_timeout_ms;
  s.ingest.backoff_initial_ms = c.ingest.backoff_initial_ms;
  s.ingest.backoff_max_ms = c.ingest.backoff_max_ms;
  s.ingest.max_reconnects = c.ingest.max_reconnects;
  s.ingest.max_width = c.ingest.max_width;
  s.ingest.max_height = c.ingest.max_height;
  s.ingest.file_root = c.allow_file_root;
  s.ingest.webrtc = c.webrtc.options;
  return s;
}

api::ServerLimits server_limits(const AppConfig& c) {
  api::ServerLimits l;
  l.max_body_bytes = static_cast<size_t>(c.limits.max_body_bytes);
  l.max_header_bytes = static_cast<size_t>(c.limits.max_header_bytes);
  l.max_connections = c.limits.max_connections;
  l.header_timeout_ms = c.limits.header_timeout_ms;
  l.body_timeout_ms = c.limits.body_timeout_ms;
  l.idle_timeout_ms = c.limits.idle_timeout_ms;
  l.write_timeout_ms = c.limits.write_timeout_ms;
  return l;
}

jobs::JobSettings job_settings(const AppConfig& c) {
  jobs::JobSettings j;
  j.max_concurrent_runs = c.jobs.max_concurrent_runs;
  j.run_timeout_ms = c.jobs.run_timeout_ms;
  j.min_gap_ms = c.jobs.min_gap_ms;
  j.limits.max_frames = c.chat.max_frames_per_request;
  j.limits.max_prompt_bytes = static_cast<size_t>(c.jobs.max_prompt_bytes);
  j.jpeg_quality = c.chat.jpeg_quality;
  return j;
}

api::ChatLimits chat_limits(const AppConfig& c) {
  api::ChatLimits l;
  l.max_refs = c.chat.max_refs_per_request;
  l.max_frames = c.chat.max_frames_per_request;
  l.max_data_url_bytes = static_cast<size_t>(c.chat.max_data_url_bytes);
  l.jpeg_quality = c.chat.jpeg_quality;
  l.max_remote_video_frames = c.chat.max_remote_video_frames;
  return l;
}

FetchPolicy fetch_policy(const AppConfig& c) {
  FetchPolicy f;
  f.allow_private = c.fetch.allow_private;
  f.allow_cidrs = c.fetch.allow_cidrs;
  f.max_bytes = static_cast<size_t>(c.fetch.max_bytes);
  f.timeout_ms = c.fetch.timeout_ms;
  f.max_redirects = c.fetch.max_redirects;
  return f;
}

LocalModelConfig local_model_config(const AppConfig& c, const ModelSpec& m) {
  LocalModelConfig l;
  l.model = m.model;
  l.checkpoint_dir = m.checkpoint_dir;
  l.precision = m.precision.empty() ? c.engine.precision : m.precision;
  l.device = m.device.empty() ? c.engine.device : m.device;
  l.threads = per_core(c.engine.threads);
  l.vision_cache_bytes = static_cast<size_t>(c.engine.vision_cache_bytes);
  l.serving.max_concurrent = c.engine.max_concurrent;
  l.serving.max_queue = c.engine.max_queue;
  return l;
}

int io_threads(const AppConfig& c) { return per_core(c.threads); }

}  // namespace sl::app
