#include "ingest/decode_pipeline.hpp"

#include <optional>

#include "media/decoder.hpp"

extern "C" {
#include <libavutil/mathematics.h>
}

namespace sl {

std::string frame_too_large(int width, int height, int max_width, int max_height) {
  return "video is " + std::to_string(width) + "x" + std::to_string(height) +
         ", larger than the allowed " + std::to_string(max_width) + "x" +
         std::to_string(max_height);
}

DecodePipeline::DecodePipeline(MediaSink& sink, const Clock& clock, DecodePipelineOptions options)
    : sink_(sink), clock_(clock), options_(options), stream_clock_(options.clock) {}

DecodePipeline::~DecodePipeline() = default;

Status DecodePipeline::begin(std::shared_ptr<const CodecConfig> config) {
  decoder_.reset();
  decoded_.clear();
  gops_.clear();
  seen_keyframe_ = false;
  frames_ = 0;
  error_.clear();
  config_ = std::move(config);
  stream_clock_.new_connection();
  if (!config_) return make_error(ErrorCode::internal, "no codec configuration");
  // Single-threaded: ingest costs about one core-fraction per stream, pure decode, no latency.
  auto decoder = Decoder::create(*config_, 1);
  if (!decoder.ok()) return decoder.error();
  decoder_ = std::move(*decoder);
  return Status();
}

DecodePipeline::Result DecodePipeline::push(Packet packet, const HoldFn& hold) {
  if (!decoder_) return Result::ok;
  if (!seen_keyframe_ && !packet.keyframe) return Result::ok;
  seen_keyframe_ = true;
  if (!packet.config) packet.config = config_;
  const uint64_t gop = sink_.on_packet(packet);
  gops_.add(packet.pts != kNoPts ? packet.pts : packet.dts, gop);
  if (!decoder_->decode(packet, decoded_).ok()) sink_.on_decode_error();
  return deliver(hold);
}

DecodePipeline::Result DecodePipeline::flush(const HoldFn& hold) {
  if (!decoder_) return Result::ok;
  if (!decoder_->flush(decoded_).ok()) sink_.on_decode_error();
  return deliver(hold);
}

DecodePipeline::Result DecodePipeline::deliver(const HoldFn& hold) {
  const AVRational time_base{config_->time_base_num, config_->time_base_den};
  for (DecodedFrame& frame : decoded_) {
    if (frame.image.width > options_.max_width || frame.image.height > options_.max_height) {
      error_ = frame_too_large(frame.image.width, frame.image.height, options_.max_width,
                               options_.max_height);
      decoded_.clear();
      return Result::refused;
    }
    std::optional<int64_t> pts_ms;
    if (frame.pts != kNoPts) pts_ms = av_rescale_q(frame.pts, time_base, AVRational{1, 1000});
    int64_t arrival = clock_.steady_ms();
    if (int64_t wait = stream_clock_.pace_ms(pts_ms, arrival); wait > 0) {
      if (!hold(wait)) {
        decoded_.clear();
        return Result::stopped;
      }
      arrival = clock_.steady_ms();
    }
    FrameArrival out;
    out.gop_id = gops_.find(frame.pts);
    out.pts = frame.pts;
    out.timestamp_ms = stream_clock_.stamp(pts_ms, arrival);
    out.wall_ms = clock_.wall_ms();
    out.image = std::move(frame.image);
    sink_.on_frame(out);
    ++frames_;
    if (!active_) {
      active_ = true;
      sink_.on_source_event({SourceState::active, "", ""});
    }
  }
  decoded_.clear();
  return Result::ok;
}

}  // namespace sl
