#include "ingest/url_source.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "core/redact.hpp"
#include "core/log.hpp"
#include "ingest/backoff.hpp"
#include "ingest/url_rules.hpp"
#include "media/av_ptr.hpp"
#include "media/decoder.hpp"


namespace sl {

namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Probing tuned for a fast first frame: FFmpeg's defaults (5 s of analysis, 5 MB) make RTMP
// take seconds to start, and containers that can add streams later (FLV, MPEG-TS) always
// analyse for the full duration. 100 ms still finds the codec of every supported container
// (measured: video-only RTMP 0.8 s -> 0.4 s to the first frame vs 500 ms); a picture size not
// found by then is fine, the decoder learns it from the first keyframe.
constexpr const char* kAnalyzeDurationUs = "100000";
constexpr const char* kProbeSize = "262144";
// HLS delivers whole segments and then waits for the next one; the read deadline must cover a
// segment duration.
constexpr int64_t kHlsMinReadTimeoutMs = 20'000;

// Protocols FFmpeg may use underneath, per kind of source. Without a whitelist a playlist or an
// RTSP redirect could make FFmpeg open local files or other protocols (SSRF).
constexpr const char* kNetworkProtocols =
    "tcp,udp,rtp,srtp,rtsp,rtsps,rtmp,rtmps,rtmpt,rtmpts,srt,http,https,tls,crypto,httpproxy,hls";
constexpr const char* kFileProtocols = "file,crypto";
// Containers a file:// source may be. Playlist and concatenation demuxers (hls, concat, ...)
// are left out: they open further files, which could lie outside allow_file_root.
constexpr const char* kFileFormats =
    "mov,mp4,m4a,3gp,3g2,mj2,mpegts,matroska,webm,flv,avi,h264,hevc,mjpeg,mpjpeg,ivf,nut,mxf,"
    "ogg,m4v,mpeg,mpegvideo,yuv4mpegpipe";


}  // namespace

UrlSource::UrlSource(UrlSourceSpec spec, IngestOptions options, MediaSink& sink,
                     const Clock& clock)
    : spec_(std::move(spec)),
      options_(std::move(options)),
      sink_(sink),
      is_file_(url_scheme(spec_.url) == "file"),
      pipeline_(sink, clock,
                DecodePipelineOptions{
                    .max_width = options_.max_width,
                    .max_height = options_.max_height,
                    .clock = is_file_ ? StreamClockOptions{.max_lead_ms = 0} : StreamClockOptions{}}) {}

UrlSource::~UrlSource() { stop(); }

void UrlSource::start() {
  thread_.run([this] { run(); });
}

void UrlSource::stop() { thread_.stop_and_join(); }

void UrlSource::set_deadline_ms(int64_t ms_from_now) {
  timed_out_ = false;
  deadline_ns_ = ms_from_now > 0 ? steady_ns() + ms_from_now * 1'000'000 : 0;
}

int UrlSource::interrupt(void* self) {
  auto* s = static_cast<UrlSource*>(self);
  if (s->thread_.stopping()) return 1;
  const int64_t deadline = s->deadline_ns_.load(std::memory_order_relaxed);
  if (deadline != 0 && steady_ns() > deadline) {
    s->timed_out_ = true;
    return 1;
  }
  return 0;
}

void UrlSource::run() {
  sink_.on_source_event({SourceState::connecting, "", ""});
  Backoff backoff(options_.backoff_initial_ms, options_.backoff_max_ms);
  int reconnects = 0;
  while (!thread_.stopping()) {
    Outcome outcome = run_connection();
    if (thread_.stopping() || outcome.kind == Outcome::Kind::stopped) return;
    if (outcome.kind == Outcome::Kind::permanent) {
      log::warn("ingest", redact_url(spec_.url) + ": " + outcome.error);
      sink_.on_source_event({SourceState::failed, outcome.error, "source_failed"});
      return;
    }
    if (is_file_) {
      if (outcome.kind == Outcome::Kind::eof) {
        sink_.on_source_event({SourceState::ended, "", "source_ended"});
      } else {
        sink_.on_source_event({SourceState::failed, outcome.error, "source_failed"});
      }
      return;
    }
    if (outcome.error.empty()) outcome.error = "stream ended";
    if (options_.max_reconnects >= 0 && reconnects >= options_.max_reconnects) {
      sink_.on_source_event({SourceState::failed, outcome.error, "source_failed"});
      return;
    }
    if (outcome.frames > 0) backoff.reset();
    ++reconnects;
    pipeline_.connection_lost();
    log::info("ingest", redact_url(spec_.url) + ": " + outcome.error + ", reconnecting");
    sink_.on_source_event({SourceState::reconnecting, outcome.error, ""});
    sink_.on_reconnect();
    if (!thread_.wait_for_ms(backoff.next_delay_ms())) return;
  }
}

UrlSource::Outcome UrlSource::run_connection() {
  using Kind = Outcome::Kind;
  Outcome outcome;
  auto fail = [&](Kind kind, std::string error) {
    outcome.kind = thread_.stopping() ? Kind::stopped : kind;
    outcome.error = std::move(error);
    outcome.frames = pipeline_.frames_this_connection();
    return outcome;
  };
  // FFmpeg reports an interrupt as "Immediate exit requested"; say what actually happened.
  auto av_fail = [&](int rc, const std::string& what) {
    if (rc == AVERROR_EOF) return fail(Kind::eof, "stream ended");
    if (timed_out_) return fail(Kind::error, what + ": timed out");
    return fail(Kind::error, what + ": " + av::error_text(rc));
  };

  std::string open_url = spec_.url;
  if (is_file_) {
    auto path = resolve_file_url(spec_.url, options_.file_root);
    if (!path.ok()) return fail(Kind::permanent, path.error().message);
    open_url = "file:" + *path;
  }

  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return fail(Kind::error, "out of memory");
  raw->interrupt_callback.callback = &UrlSource::interrupt;
  raw->interrupt_callback.opaque = this;
  if (is_file_) {
    raw->format_whitelist = av_strdup(kFileFormats);  // freed with the context
    if (!raw->format_whitelist) {
      avformat_free_context(raw);
      return fail(Kind::error, "out of memory");
    }
  }
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "analyzeduration", kAnalyzeDurationUs, 0);
  av_dict_set(&opts, "probesize", kProbeSize, 0);
  av_dict_set(&opts, "fpsprobesize", "0", 0);
  av_dict_set(&opts, "protocol_whitelist", is_file_ ? kFileProtocols : kNetworkProtocols, 0);
  const std::string scheme = url_scheme(spec_.url);
  if (scheme == "rtsp" || scheme == "rtsps") av_dict_set(&opts, "rtsp_transport", "tcp", 0);
  if (scheme == "http" || scheme == "https") {
    av_dict_set(&opts, "live_start_index", "-1", 0);  // HLS: start at the live edge
    av_dict_set(&opts, "user_agent", "sightline", 0);
  }
  set_deadline_ms(options_.connect_timeout_ms);
  int rc = avformat_open_input(&raw, open_url.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (rc < 0) return av_fail(rc, "cannot open");  // avformat_open_input freed the context
  av::FormatInputPtr fmt(raw);
  rc = avformat_find_stream_info(fmt.get(), nullptr);
  if (rc < 0) return av_fail(rc, "cannot read stream info");

  const int index = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return fail(is_file_ ? Kind::permanent : Kind::error, "no video stream");
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (static_cast<int>(i) != index) fmt->streams[i]->discard = AVDISCARD_ALL;
  }
  AVStream* stream = fmt->streams[index];
  const AVCodecParameters* par = stream->codecpar;
  if (par->width > options_.max_width || par->height > options_.max_height) {
    return fail(Kind::permanent, frame_too_large(par->width, par->height, options_.max_width, options_.max_height));
  }
  auto config = std::make_shared<CodecConfig>();
  config->codec = avcodec_get_name(par->codec_id);
  config->codec_id = par->codec_id;
  if (par->extradata && par->extradata_size > 0) {
    config->extradata.assign(par->extradata, par->extradata + par->extradata_size);
  }
  config->width = par->width;
  config->height = par->height;
  config->time_base_num = stream->time_base.num;
  config->time_base_den = stream->time_base.den;

  if (Status s = pipeline_.begin(config); !s.ok()) return fail(Kind::error, s.error().message);

  const bool is_hls = fmt->iformat && std::string_view(fmt->iformat->name) == "hls";
  const int64_t read_timeout =
      is_hls ? std::max(options_.read_timeout_ms, kHlsMinReadTimeoutMs) : options_.read_timeout_ms;

  av::PacketPtr pkt(av_packet_alloc());
  if (!pkt) return fail(Kind::error, "out of memory");
  const DecodePipeline::HoldFn hold = [this](int64_t ms) { return thread_.wait_for_ms(ms); };
  // The pipeline's verdict on what it was handed; nullopt to go on reading.
  auto verdict = [&](DecodePipeline::Result r) -> std::optional<Outcome> {
    if (r == DecodePipeline::Result::stopped) return fail(Kind::stopped, "");
    if (r == DecodePipeline::Result::refused) return fail(Kind::permanent, pipeline_.error());
    return std::nullopt;
  };

  for (;;) {
    set_deadline_ms(read_timeout);
    rc = av_read_frame(fmt.get(), pkt.get());
    if (rc < 0) {
      // Drain the pictures the decoder still holds (B-frames) before giving up the connection.
      set_deadline_ms(0);
      if (auto v = verdict(pipeline_.flush(hold))) return *v;
      if (rc == AVERROR_EOF || (is_file_ && rc == AVERROR(EIO))) return fail(Kind::eof, "");
      return av_fail(rc, "read failed");
    }
    if (pkt->stream_index != index) {
      av_packet_unref(pkt.get());
      continue;
    }
    Packet packet;
    packet.config = config;
    packet.data = std::make_shared<const Bytes>(pkt->data, pkt->data + pkt->size);
    packet.keyframe = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
    packet.pts = pkt->pts == AV_NOPTS_VALUE ? kNoPts : pkt->pts;
    packet.dts = pkt->dts == AV_NOPTS_VALUE ? kNoPts : pkt->dts;
    av_packet_unref(pkt.get());
    set_deadline_ms(0);
    if (auto v = verdict(pipeline_.push(std::move(packet), hold))) return *v;
  }
}

}  // namespace sl
