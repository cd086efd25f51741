#include "streams/stream.hpp"

#include <algorithm>

#include "core/random_id.hpp"

namespace sl {
namespace {

const char* state_name(SourceState s) {
  switch (s) {
    case SourceState::connecting: return "connecting";
    case SourceState::active: return "active";
    case SourceState::reconnecting: return "reconnecting";
    case SourceState::ended: return "ended";
    case SourceState::failed: return "failed";
  }
  return "connecting";
}

StoreLimits limits_for(const StreamOptions& options, const StreamsConfig& config) {
  StoreLimits limits = config.store;
  limits.retention_ms = options.retention_seconds * 1000;
  return limits;
}

}  // namespace

Stream::Stream(std::string id, std::string owner, StreamOptions options,
               const StreamsConfig& config, const Clock& clock)
    : id_(std::move(id)),
      owner_(std::move(owner)),
      options_(std::move(options)),
      clock_(clock),
      created_at_ms_(clock.wall_ms()),
      publish_token_(std::holds_alternative<WhipSourceSpec>(options_.source)
                         ? random_hex_id("", 24)
                         : std::string()),
      byte_cap_(config.store.max_bytes),
      store_(std::make_shared<FrameStore>(limits_for(options_, config))),
      keeper_(*store_, config.jpeg_quality, config.keep_second_jpegs),
      sink_(keeper_, events_, frames_) {
  if (options_.lease) expires_at_ms_ = created_at_ms_ + options_.ttl_seconds * 1000;
}

Stream::~Stream() { end("shutdown"); }

Status Stream::open(const SourceFactory& factory) {
  auto source = factory(options_.source, sink_, clock_);
  if (!source.ok()) return source.error();
  std::lock_guard lk(mu_);
  source_ = std::move(*source);
  return Status();
}

std::shared_ptr<Source> Stream::live_source() const {
  std::lock_guard lk(mu_);
  return source_;
}

void Stream::start() {
  if (auto source = live_source()) source->start();
}

Result<SdpAnswer> Stream::answer(const std::string& offer_sdp) {
  auto source = live_source();
  if (!source) return make_error(ErrorCode::stream_not_found, "Stream '" + id_ + "' has ended.");
  return source->answer(offer_sdp);
}

Status Stream::end_session(const std::string& session_id) {
  auto source = live_source();
  if (!source) return make_error(ErrorCode::stream_not_found, "Stream '" + id_ + "' has ended.");
  return source->end_session(session_id);
}

std::shared_ptr<Source> Stream::finish(const std::string& reason, const std::string& error) {
  std::shared_ptr<Source> source;
  bool first = false;
  {
    std::lock_guard lk(mu_);
    if (end_reason_.empty()) {
      end_reason_ = reason;
      end_error_ = error;
      first = true;
    }
    if (finished_at_ms_ == 0) finished_at_ms_ = clock_.wall_ms();
    source = std::move(source_);
  }
  // Outside the lock: listeners may ask for status(). A no-op when the source's own final
  // event went out first.
  if (first)
    events_.publish({error.empty() ? SourceState::ended : SourceState::failed, error, reason});
  return source;
}

void Stream::end(const std::string& reason) {
  if (auto source = finish(reason)) source->stop();
}

double Stream::pixel_rate() const {
  if (double declared = declared_pixel_rate(options_.source); declared > 0) return declared;
  const StoreStats stats = store_->stats();
  // recent_fps reads bursts (HLS segments, RTMP GOP caches arrive at once) as thousands of fps:
  // cap it at a rate a camera really sends, or a burst would fail a small stream (e2e: hls).
  return static_cast<double>(stats.width) * stats.height * std::min(stats.recent_fps, 120.0);
}

int64_t Stream::stream_time_ms() const {
  auto newest = store_->newest();
  if (!newest) return 0;
  return newest->timestamp_ms + std::max<int64_t>(0, clock_.wall_ms() - newest->wall_ms);
}

StreamStatus Stream::status() const {
  StreamStatus st;
  st.id = id_;
  st.name = options_.name;
  st.source = options_.source;
  st.created_at_ms = created_at_ms_;
  st.retention_seconds = options_.retention_seconds;
  st.lease = options_.lease;
  st.publish_token = publish_token_;

  const StoreStats stats = store_->stats();
  const SourceEvent ev = store_->last_source_event();
  st.state = state_name(ev.state);
  st.last_error = ev.error;
  if (ev.state == SourceState::ended || ev.state == SourceState::failed)
    st.end_reason = ev.end_reason.empty() ? (ev.state == SourceState::failed ? "source_failed"
                                                                             : "source_ended")
                                          : ev.end_reason;
  if (stats.last_index >= 0) {
    st.first_frame_at_ms = stats.first_frame_wall_ms;
    st.last_frame_at_ms = stats.last_frame_wall_ms;
    st.last_frame_index = stats.last_index;
    if (stats.first_index >= 0) st.first_available_frame_index = stats.first_index;
    st.stream_time_ms = stream_time_ms();
  }
  st.recent_fps = stats.recent_fps;
  st.width = stats.width;
  st.height = stats.height;
  st.retained_frame_count = stats.retained_frames;
  st.evicted_frame_count = stats.evicted_frames;

  std::lock_guard lk(mu_);
  if (!end_reason_.empty()) {
    // Our own end (delete, lease expiry, shutdown) wins over whatever the source last said.
    if (st.end_reason.empty()) st.end_reason = end_reason_;
    if (!end_error_.empty()) {
      st.end_reason = end_reason_;
      st.state = "failed";
      st.last_error = end_error_;
    }
    if (st.state != "failed") st.state = "ended";
  }
  if (options_.lease) {
    st.ttl_seconds = options_.ttl_seconds;
    st.expires_at_ms = expires_at_ms_;
  }
  if (st.state == "ended" || st.state == "failed") st.recent_fps = 0;
  return st;
}

bool Stream::is_finished() const {
  {
    std::lock_guard lk(mu_);
    if (!end_reason_.empty()) return true;
  }
  auto s = store_->last_source_event().state;
  return s == SourceState::ended || s == SourceState::failed;
}

int64_t Stream::finished_at_ms() const {
  std::lock_guard lk(mu_);
  return finished_at_ms_;
}

void Stream::mark_finished_seen() {
  std::lock_guard lk(mu_);
  if (finished_at_ms_ == 0) finished_at_ms_ = clock_.wall_ms();
}

bool Stream::lease_expired() const {
  std::lock_guard lk(mu_);
  return options_.lease && end_reason_.empty() && clock_.wall_ms() >= expires_at_ms_;
}

std::optional<KeepaliveResult> Stream::keepalive() {
  std::lock_guard lk(mu_);
  if (!options_.lease) return std::nullopt;
  expires_at_ms_ = clock_.wall_ms() + options_.ttl_seconds * 1000;
  KeepaliveResult r;
  r.id = id_;
  r.expires_at_ms = expires_at_ms_;
  r.ttl_seconds = options_.ttl_seconds;
  return r;
}

}  // namespace sl
