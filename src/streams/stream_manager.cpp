#include "streams/stream_manager.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "core/json_text.hpp"
#include "core/log.hpp"
#include "core/random_id.hpp"
#include "core/stream_id.hpp"
#include "streams/stream.hpp"

namespace sl {

double declared_pixel_rate(const SourceSpec& source) {
  const auto* tp = std::get_if<TestPatternSpec>(&source);
  if (!tp) return 0;
  return static_cast<double>(tp->width) * tp->height * tp->fps;
}

namespace {

Error not_found(const std::string& id) {
  return make_error(ErrorCode::stream_not_found, "No stream with id '" + id + "'.");
}

}  // namespace

StreamManager::StreamManager(StreamsConfig config, SourceFactory sources, const Clock& clock,
                             Metrics& metrics)
    : config_(std::move(config)),
      sources_(std::move(sources)),
      clock_(clock),
      registry_(std::make_shared<Registry>()) {
  metrics.describe("sightline_stream_frames_received_total", Metrics::Type::counter,
                   "Frames received by the stream since it was created.");
  metrics.describe("sightline_stream_decode_errors_total", Metrics::Type::counter,
                   "Packets the decoder rejected.");
  metrics.describe("sightline_stream_reconnects_total", Metrics::Type::counter,
                   "Times the source was reconnected.");
  metrics.describe("sightline_stream_buffer_bytes", Metrics::Type::gauge,
                   "Bytes held by the stream's store (packets, pictures, cached JPEGs).");
  metrics.describe("sightline_stream_retained_frames", Metrics::Type::gauge,
                   "Frames currently retained.");
  metrics.describe("sightline_streams", Metrics::Type::gauge, "Streams known, by state.");
  std::weak_ptr<Registry> weak = registry_;
  metrics.add_collector([weak](MetricsWriter& w) {
    auto reg = weak.lock();
    if (!reg) return;
    std::vector<std::shared_ptr<Stream>> streams;
    {
      std::lock_guard lk(reg->mu);
      for (auto& [id, s] : reg->streams) streams.push_back(s);
    }
    std::map<std::string, int> by_state;
    for (auto& s : streams) {
      auto store = s->store();
      auto stats = store->stats();
      Labels l{{"stream", s->id()}};
      w.sample("sightline_stream_frames_received_total", l, static_cast<double>(stats.frames_received));
      w.sample("sightline_stream_decode_errors_total", l, static_cast<double>(store->decode_errors()));
      w.sample("sightline_stream_reconnects_total", l, static_cast<double>(store->reconnects()));
      w.sample("sightline_stream_buffer_bytes", l, static_cast<double>(stats.bytes));
      w.sample("sightline_stream_retained_frames", l, static_cast<double>(stats.retained_frames));
      by_state[s->status().state]++;
    }
    for (auto& [state, n] : by_state) w.sample("sightline_streams", {{"state", state}}, n);
  });
}

StreamManager::~StreamManager() {
  stop_all();
  reaper_.drain();
}

void StreamManager::retire(const std::shared_ptr<Stream>& s, const std::string& reason,
                           const std::string& error) {
  reaper_.stop(s, s->finish(reason, error));
}

Status StreamManager::validate(const StreamOptions& o) const {
  if (o.retention_seconds < 1 || o.retention_seconds > config_.max_retention_seconds)
    return make_error(ErrorCode::invalid_request,
                      "retention_seconds must be between 1 and " +
                          std::to_string(config_.max_retention_seconds) + ".",
                      "retention_seconds");
  if (o.lease && (o.ttl_seconds < 1 || o.ttl_seconds > config_.max_ttl_seconds))
    return make_error(ErrorCode::invalid_request,
                      "lease.ttl_seconds must be between 1 and " +
                          std::to_string(config_.max_ttl_seconds) + ".",
                      "lease.ttl_seconds");
  if (utf8_length(o.name) > 256)
    return make_error(ErrorCode::invalid_request, "name is longer than 256 characters.", "name");
  return validate_source(o.source, config_.ingest);
}

Result<StreamStatus> StreamManager::create(const std::string& owner, const StreamOptions& options,
                                           const std::string& requested_id) {
  if (auto st = validate(options); !st.ok()) return st.error();
  if (!requested_id.empty() && !valid_stream_id(requested_id))
    return make_error(ErrorCode::invalid_request, "Stream ids match [A-Za-z0-9_-]{1,64}.", "id");
  std::string id = requested_id.empty() ? random_hex_id("s_", 12) : requested_id;

  std::shared_ptr<Stream> stream;
  {
    std::lock_guard lk(registry_->mu);
    if (registry_->streams.count(id))
      return make_error(ErrorCode::invalid_request, "A stream with id '" + id + "' exists.", "id");
    if (owner != kOwnerEveryone) {
      int live = 0;
      double pixel_rate = declared_pixel_rate(options.source);
      int64_t bytes = 0;
      for (auto& [sid, s] : registry_->streams) {
        if (s->owner() != owner || s->is_finished()) continue;
        ++live;
        pixel_rate += s->pixel_rate();
        bytes += static_cast<int64_t>(s->retained_bytes());
      }
      if (live >= config_.max_streams_per_key)
        return make_error(ErrorCode::too_many_streams,
                          "This API key already has " + std::to_string(live) +
                              " live streams (limit " +
                              std::to_string(config_.max_streams_per_key) +
                              "); delete one or raise limits.max_streams_per_key.");
      if (config_.max_pixel_rate_per_key > 0 &&
          pixel_rate > static_cast<double>(config_.max_pixel_rate_per_key))
        return make_error(ErrorCode::quota_exceeded,
                          "This stream would bring the API key's decoded video to " +
                              std::to_string(static_cast<int64_t>(pixel_rate / 1e6)) +
                              " megapixels/s, over its budget of " +
                              std::to_string(config_.max_pixel_rate_per_key / 1'000'000) +
                              " (limits.max_pixel_rate_per_key); lower the resolution or "
                              "frame rate, or end another stream.");
      if (config_.max_retained_bytes_per_key > 0 && bytes >= config_.max_retained_bytes_per_key)
        return make_error(ErrorCode::quota_exceeded,
                          "This API key's streams already retain " + std::to_string(bytes >> 20) +
                              " MiB of video, its budget is " +
                              std::to_string(config_.max_retained_bytes_per_key >> 20) +
                              " MiB (limits.max_retained_bytes_per_key); end a stream or "
                              "lower retention_seconds.");
    }
    stream = std::make_shared<Stream>(id, owner, options, config_, clock_);
    if (Status s = stream->open(sources_); !s.ok()) return s.error();
    registry_->streams.emplace(id, stream);
  }
  stream->start();
  std::optional<SdpAnswer> answer;
  if (const auto* webrtc = std::get_if<WebRtcSourceSpec>(&options.source)) {
    auto a = stream->answer(webrtc->offer_sdp);
    if (!a.ok()) {
      // The offer was the request: no answer, no stream.
      {
        std::lock_guard lk(registry_->mu);
        registry_->streams.erase(id);
      }
      retire(stream, "source_failed", a.error().message);
      return a.error();
    }
    answer = std::move(*a);
  }
  log::info("streams", "created " + id + " (" + std::string(source_type(options.source)) + ")");
  StreamStatus st = stream->status();
  if (on_created_) on_created_(owner, st, options);
  st.answer = std::move(answer);
  return st;
}

Result<SdpAnswer> StreamManager::answer(const std::string& owner, const std::string& id,
                                        const std::string& offer_sdp) {
  auto s = find(owner, id);
  if (!s) return not_found(id);
  return s->answer(offer_sdp);
}

Status StreamManager::end_session(const std::string& owner, const std::string& id,
                                  const std::string& session_id) {
  auto s = find(owner, id);
  if (!s) return not_found(id);
  return s->end_session(session_id);
}

Result<std::string> StreamManager::authorize_publisher(const std::string& id,
                                                      const std::string& token) const {
  std::shared_ptr<Stream> s;
  {
    std::lock_guard lk(registry_->mu);
    auto it = registry_->streams.find(id);
    if (it != registry_->streams.end()) s = it->second;
  }
  if (!s || s->publish_token().empty()) return not_found(id);
  if (token.empty() || !constant_time_equal(token, s->publish_token()))
    return make_error(ErrorCode::unauthorized,
                      "Missing or wrong publish token for stream '" + id +
                          "' (the bearer token is publish.token from the stream object).");
  return s->owner();
}

Result<Subscription> StreamManager::subscribe_events(
    const std::string& owner, const std::string& id,
    std::function<void(const SourceEvent&)> listener) {
  auto s = find(owner, id);
  if (!s) return not_found(id);
  return s->subscribe_events(std::move(listener));
}

Result<Subscription> StreamManager::subscribe_frames(const std::string& owner,
                                                     const std::string& id,
                                                     std::shared_ptr<FrameConsumer> consumer) {
  auto s = find(owner, id);
  if (!s) return not_found(id);
  return s->subscribe_frames(std::move(consumer));
}

std::shared_ptr<Stream> StreamManager::find(const std::string& owner, const std::string& id) const {
  std::lock_guard lk(registry_->mu);
  auto it = registry_->streams.find(id);
  if (it == registry_->streams.end() || !it->second->visible_to(owner)) return nullptr;
  return it->second;
}

Result<StreamStatus> StreamManager::status(const std::string& owner, const std::string& id) const {
  auto s = find(owner, id);
  if (!s) return not_found(id);
  return s->status();
}

std::vector<StreamStatus> StreamManager::list(const std::string& owner) const {
  std::vector<std::shared_ptr<Stream>> visible;
  {
    std::lock_guard lk(registry_->mu);
    for (auto& [id, s] : registry_->streams)
      if (s->visible_to(owner)) visible.push_back(s);
  }
  std::vector<StreamStatus> out;
  out.reserve(visible.size());
  for (auto& s : visible) out.push_back(s->status());
  return out;
}

Result<StreamStatus> StreamManager::remove(const std::string& owner, const std::string& id) {
  std::shared_ptr<Stream> s;
  {
    std::lock_guard lk(registry_->mu);
    auto it = registry_->streams.find(id);
    if (it == registry_->streams.end() || !it->second->visible_to(owner)) return not_found(id);
    // A shared stream (--demo) is read-only to every key: only the operator's config ends it.
    if (it->second->owner() != owner)
      return make_error(ErrorCode::permission_denied,
                        "Stream '" + id + "' is shared by the server operator and cannot be deleted.");
    s = it->second;
    registry_->streams.erase(it);
  }
  retire(s, "deleted");
  log::info("streams", "deleted " + id);
  return s->status();
}

Result<KeepaliveResult> StreamManager::keepalive(const std::string& owner, const std::string& id) {
  auto s = find(owner, id);
  if (!s) return not_found(id);
  if (s->is_finished())
    return make_error(ErrorCode::stream_not_found, "Stream '" + id + "' has ended.");
  auto r = s->keepalive();
  if (!r)
    return make_error(ErrorCode::invalid_request,
                      "Stream '" + id + "' was created without a lease; nothing to keep alive.");
  r->stream_time_ms = s->stream_time_ms();
  return *r;
}

Result<std::shared_ptr<const FrameStore>> StreamManager::store(const std::string& owner,
                                                               const std::string& id) const {
  auto s = find(owner, id);
  if (!s) return not_found(id);
  return s->store();
}

// Measured rates can only be known after a camera connects: a key whose live streams decode
// more than its budget loses its newest streams until it is back under.
void StreamManager::enforce_pixel_budget(const std::vector<std::shared_ptr<Stream>>& all) {
  if (config_.max_pixel_rate_per_key <= 0) return;
  const auto budget = static_cast<double>(config_.max_pixel_rate_per_key);
  std::map<std::string, std::vector<std::shared_ptr<Stream>>> by_owner;
  for (const auto& s : all)
    if (s->owner() != kOwnerEveryone && !s->is_finished()) by_owner[s->owner()].push_back(s);
  for (auto& [owner, streams] : by_owner) {
    double total = 0;
    std::vector<double> rates;
    for (const auto& s : streams) total += rates.emplace_back(s->pixel_rate());
    if (total <= budget) continue;
    std::vector<size_t> order(streams.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return streams[a]->created_at_ms() > streams[b]->created_at_ms();
    });
    for (size_t i : order) {
      if (total <= budget) break;
      if (rates[i] <= 0) continue;
      total -= rates[i];
      const std::string error =
          "The API key's streams decode more than its budget of " +
          std::to_string(config_.max_pixel_rate_per_key / 1'000'000) +
          " megapixels/s (limits.max_pixel_rate_per_key); this stream alone decodes " +
          std::to_string(static_cast<int64_t>(rates[i] / 1e6)) + ".";
      log::warn("streams", "pixel-rate budget: failing " + streams[i]->id());
      retire(streams[i], "quota_exceeded", error);
    }
  }
}

void StreamManager::tick() {
  std::vector<std::shared_ptr<Stream>> all;
  {
    std::lock_guard lk(registry_->mu);
    for (auto& [id, s] : registry_->streams) all.push_back(s);
  }
  enforce_pixel_budget(all);
  const int64_t now = clock_.wall_ms();
  std::vector<std::string> forget;
  for (auto& s : all) {
    if (s->lease_expired()) {
      log::info("streams", "lease expired: " + s->id());
      retire(s, "expired");
    }
    if (s->is_finished()) {
      s->mark_finished_seen();
      if (now - s->finished_at_ms() >= config_.ended_linger_seconds * 1000) forget.push_back(s->id());
    }
  }
  if (forget.empty()) return;
  std::vector<std::shared_ptr<Stream>> dropped;  // destroyed outside the lock
  std::lock_guard lk(registry_->mu);
  for (auto& id : forget) {
    auto it = registry_->streams.find(id);
    if (it == registry_->streams.end()) continue;
    dropped.push_back(it->second);
    registry_->streams.erase(it);
  }
}

void StreamManager::stop_all() {
  std::map<std::string, std::shared_ptr<Stream>> all;
  {
    std::lock_guard lk(registry_->mu);
    all = registry_->streams;
  }
  for (auto& [id, s] : all) s->end("shutdown");
  reaper_.drain();
}

}  // namespace sl
