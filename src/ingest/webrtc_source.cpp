#include "ingest/webrtc_source.hpp"

#include "core/log.hpp"
#include "core/random_id.hpp"
#include "ingest/webrtc_session.hpp"

extern "C" {
#include <libavcodec/codec_id.h>
}

namespace sl {

namespace {

// How often the source thread looks at its session's state when no video arrives; also the
// longest it takes to pick up a newly negotiated session.
constexpr int64_t kPollMs = 50;
// Buffer pts are GStreamer running time in nanoseconds.
constexpr int kNanosecondsPerSecond = 1'000'000'000;

std::shared_ptr<const CodecConfig> codec_config(VideoCodec codec) {
  auto config = std::make_shared<CodecConfig>();
  switch (codec) {
    case VideoCodec::vp8:
      config->codec = "vp8";
      config->codec_id = AV_CODEC_ID_VP8;
      break;
    case VideoCodec::vp9:
      config->codec = "vp9";
      config->codec_id = AV_CODEC_ID_VP9;
      break;
    case VideoCodec::h264:
      config->codec = "h264";
      config->codec_id = AV_CODEC_ID_H264;
      break;
  }
  config->time_base_num = 1;
  config->time_base_den = kNanosecondsPerSecond;
  return config;
}

Error conflict(const std::string& message) { return make_error(ErrorCode::conflict, message); }

}  // namespace

// The DecodePipeline's sink: forwards everything to the stream's sink and counts decode errors,
// which make the source ask the publisher for a keyframe. Source thread only.
class WebRtcSource::KeyframeWatch final : public MediaSink {
 public:
  explicit KeyframeWatch(MediaSink& next) : next_(next) {}
  uint64_t on_packet(const Packet& packet) override { return next_.on_packet(packet); }
  int64_t on_frame(const FrameArrival& frame) override { return next_.on_frame(frame); }
  void on_source_event(const SourceEvent& event) override { next_.on_source_event(event); }
  void on_decode_error() override {
    ++errors_;
    next_.on_decode_error();
  }
  void on_reconnect() override { next_.on_reconnect(); }
  uint64_t errors() const { return errors_; }

 private:
  MediaSink& next_;
  uint64_t errors_ = 0;
};

WebRtcSource::WebRtcSource(Kind kind, IngestOptions options, MediaSink& sink, const Clock& clock)
    : kind_(kind),
      options_(std::move(options)),
      sink_(sink),
      clock_(clock),
      watch_(std::make_unique<KeyframeWatch>(sink)),
      pipeline_(*watch_, clock,
                DecodePipelineOptions{.max_width = options_.max_width,
                                      .max_height = options_.max_height,
                                      .clock = StreamClockOptions{}}) {}

WebRtcSource::~WebRtcSource() { stop(); }

void WebRtcSource::start() {
  thread_.run([this] { run(); });
}

void WebRtcSource::stop() {
  {
    std::lock_guard lk(mu_);
    stopped_ = true;
  }
  thread_.stop_and_join();
  std::unique_ptr<WebRtcSession> left;
  {
    std::lock_guard lk(mu_);
    left = std::move(pending_);
  }
  left.reset();  // a session negotiated while stopping: torn down here, outside the lock
}

Result<SdpAnswer> WebRtcSource::answer(const std::string& offer_sdp) {
  auto checked = check_offer(offer_sdp, options_.webrtc.max_offer_bytes);
  if (!checked.ok()) return checked.error();
  {
    std::lock_guard lk(mu_);
    if (stopped_ || finished_) return conflict("This stream has ended; create a new one.");
    if (kind_ == Kind::webrtc && used_)
      return conflict("This stream took its offer when it was created; create a new stream.");
    if (busy_)
      return conflict("A publisher is already live on this stream; end its session first "
                      "(DELETE its WHIP resource) or wait until it is lost.");
    busy_ = true;
    used_ = true;
  }
  auto negotiated = WebRtcSession::negotiate(*checked, options_.webrtc);
  std::unique_ptr<WebRtcSession> orphan;  // destroyed outside the lock
  SdpAnswer out;
  {
    std::lock_guard lk(mu_);
    if (!negotiated.ok()) {
      busy_ = false;
      return negotiated.error();
    }
    if (stopped_ || finished_) {
      busy_ = false;
      orphan = std::move(negotiated->session);
    } else {
      session_id_ = random_hex_id("", 16);
      end_requested_ = false;
      pending_ = std::move(negotiated->session);
      out.sdp = std::move(negotiated->answer_sdp);
      out.session_id = session_id_;
    }
  }
  if (orphan) return conflict("This stream has ended; create a new one.");
  log::info("webrtc", std::string("publisher answered (") + std::string(encoding_name(checked->codec)) +
                          ")");
  return out;
}

Status WebRtcSource::end_session(const std::string& session_id) {
  std::lock_guard lk(mu_);
  if (!busy_ || session_id_.empty() || !constant_time_equal(session_id, session_id_))
    return make_error(ErrorCode::not_found, "No such publisher session.");
  end_requested_ = true;
  return Status();
}

std::unique_ptr<WebRtcSession> WebRtcSource::take_pending() {
  std::lock_guard lk(mu_);
  return std::move(pending_);
}

void WebRtcSource::run() {
  sink_.on_source_event({SourceState::connecting, "", ""});
  while (!thread_.stopping()) {
    std::unique_ptr<WebRtcSession> session = take_pending();
    if (!session) {
      if (!thread_.wait_for_ms(kPollMs)) return;
      continue;
    }
    std::string why;
    const SessionEnd end = run_session(*session, why);
    session.reset();  // the pipeline stops here, on the source thread
    {
      std::lock_guard lk(mu_);
      busy_ = false;
      session_id_.clear();
      end_requested_ = false;
    }
    if (end == SessionEnd::stopped) return;
    pipeline_.connection_lost();
    log::info("webrtc", "publisher session over: " + why);
    if (kind_ == Kind::whip && options_.webrtc.whip_wait_for_publisher &&
        end != SessionEnd::failed) {
      sink_.on_source_event({SourceState::reconnecting, why, ""});
      sink_.on_reconnect();
      continue;
    }
    {
      std::lock_guard lk(mu_);
      finished_ = true;
    }
    switch (end) {
      case SessionEnd::failed:
        sink_.on_source_event({SourceState::failed, why, "source_failed"});
        break;
      case SessionEnd::deleted:
        sink_.on_source_event({SourceState::ended, "", "source_ended"});
        break;
      default:
        sink_.on_source_event({SourceState::ended, why, "source_lost"});
        break;
    }
    return;
  }
}

WebRtcSource::SessionEnd WebRtcSource::run_session(WebRtcSession& session, std::string& why) {
  const WebRtcOptions& o = options_.webrtc;
  const auto config = codec_config(session.codec());
  if (Status s = pipeline_.begin(config); !s.ok()) {
    why = s.error().message;
    return SessionEnd::failed;
  }
  const DecodePipeline::HoldFn hold = [this](int64_t ms) { return thread_.wait_for_ms(ms); };
  const int64_t start = clock_.steady_ms();
  int64_t last_media = -1;
  int64_t last_keyframe = -1;
  int64_t last_request = start;
  uint64_t errors_seen = watch_->errors();
  session.request_keyframe();

  auto finish = [&](SessionEnd end, std::string text) {
    why = std::move(text);
    if (end != SessionEnd::stopped && pipeline_.flush(hold) == DecodePipeline::Result::stopped)
      return SessionEnd::stopped;
    return end;
  };

  for (;;) {
    if (thread_.stopping()) return SessionEnd::stopped;
    {
      std::lock_guard lk(mu_);
      if (end_requested_) return finish(SessionEnd::deleted, "the publisher ended the session");
    }
    bool local_error = false;
    if (std::string lost = session.ended(local_error); !lost.empty())
      return finish(local_error ? SessionEnd::failed : SessionEnd::lost, lost);
    const int64_t now = clock_.steady_ms();
    if (last_media < 0 && now - start > o.connect_timeout_ms)
      return finish(SessionEnd::lost, "no video arrived within " +
                                          std::to_string(o.connect_timeout_ms) +
                                          " ms of the answer (webrtc.connect_timeout_ms)");
    if (last_media >= 0 && now - last_media > o.no_media_timeout_ms)
      return finish(SessionEnd::lost, "no video for " + std::to_string(o.no_media_timeout_ms) +
                                          " ms (webrtc.no_media_timeout_ms)");

    // Keyframes: until the first one, after decode errors (both at most every retry period)
    // and every keyframe_interval_ms, so GOPs stay short enough to re-decode old frames.
    bool want = false;
    if (now - last_request >= o.keyframe_retry_ms) {
      if (last_keyframe < 0) want = true;
      if (watch_->errors() != errors_seen) want = true;
    }
    if (o.keyframe_interval_ms > 0 && last_keyframe >= 0 &&
        now - last_keyframe >= o.keyframe_interval_ms &&
        now - last_request >= o.keyframe_interval_ms)
      want = true;
    if (want) {
      errors_seen = watch_->errors();
      session.request_keyframe();
      last_request = now;
    }

    std::optional<AccessUnit> au = session.pull(kPollMs);
    if (!au) continue;
    last_media = clock_.steady_ms();
    if (au->keyframe) last_keyframe = last_media;
    Packet packet;
    packet.config = config;
    packet.data = std::move(au->data);
    packet.keyframe = au->keyframe;
    packet.pts = au->pts_ns;
    packet.dts = au->pts_ns;
    const DecodePipeline::Result r = pipeline_.push(std::move(packet), hold);
    if (r == DecodePipeline::Result::stopped) return SessionEnd::stopped;
    if (r == DecodePipeline::Result::refused) {
      why = pipeline_.error();
      return SessionEnd::failed;
    }
  }
}

}  // namespace sl
