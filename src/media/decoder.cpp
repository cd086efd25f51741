#include "media/decoder.hpp"

#include <cstring>
#include <string>

#include "media/av_image.hpp"
#include "media/av_ptr.hpp"

namespace sl {

namespace {

class AvDecoder final : public Decoder {
 public:
  AvDecoder(av::CodecContextPtr ctx, av::FramePtr frame, av::PacketPtr packet)
      : ctx_(std::move(ctx)), frame_(std::move(frame)), packet_(std::move(packet)) {}

  Status decode(const Packet& packet, std::vector<DecodedFrame>& out) override {
    if (!packet.data || packet.data->empty()) return Status();
    av_packet_unref(packet_.get());
    // The packet is copied once into a padded buffer: libavcodec reads past the end of the data.
    if (av_new_packet(packet_.get(), static_cast<int>(packet.data->size())) < 0) {
      return make_error(ErrorCode::internal, "decoder: out of memory");
    }
    std::memcpy(packet_->data, packet.data->data(), packet.data->size());
    packet_->pts = packet.pts == kNoPts ? AV_NOPTS_VALUE : packet.pts;
    packet_->dts = packet.dts == kNoPts ? AV_NOPTS_VALUE : packet.dts;
    if (packet.keyframe) packet_->flags |= AV_PKT_FLAG_KEY;

    Status result;
    for (;;) {
      int rc = avcodec_send_packet(ctx_.get(), packet_.get());
      if (rc == AVERROR(EAGAIN)) {
        // The decoder wants its output taken first; then the packet is sent again.
        Status s = receive(out);
        if (!s.ok()) return s;
        continue;
      }
      if (rc < 0) result = make_error(ErrorCode::source_error, "decode: " + av::error_text(rc));
      break;
    }
    Status s = receive(out);
    return result.ok() ? s : result;
  }

  Status flush(std::vector<DecodedFrame>& out) override {
    int rc = avcodec_send_packet(ctx_.get(), nullptr);
    Status s;
    if (rc >= 0 || rc == AVERROR_EOF) s = receive(out);
    // Back to a fresh state so the same decoder can take the next GOP or connection.
    avcodec_flush_buffers(ctx_.get());
    return s;
  }

 private:
  Status receive(std::vector<DecodedFrame>& out) {
    for (;;) {
      int rc = avcodec_receive_frame(ctx_.get(), frame_.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return Status();
      if (rc < 0) return make_error(ErrorCode::source_error, "decode: " + av::error_text(rc));
      DecodedFrame decoded;
      decoded.pts = frame_->best_effort_timestamp == AV_NOPTS_VALUE ? kNoPts
                                                                    : frame_->best_effort_timestamp;
      if (av::layout_of(frame_->format)) {
        av::FramePtr owned(av_frame_alloc());
        if (!owned) return make_error(ErrorCode::internal, "decoder: out of memory");
        av_frame_move_ref(owned.get(), frame_.get());
        decoded.image = av::image_from_frame(std::move(owned));
      } else {
        // NV12, 10-bit, gray, ...: one conversion to the layout everything downstream reads.
        auto converted = av::convert_to_i420(av::view_of(*frame_), frame_->width,
                                             frame_->height, /*full_range=*/true);
        av_frame_unref(frame_.get());
        if (!converted.ok()) return converted.status();
        decoded.image = std::move(converted).value();
      }
      out.push_back(std::move(decoded));
    }
  }

  av::CodecContextPtr ctx_;
  av::FramePtr frame_;
  av::PacketPtr packet_;
};

}  // namespace

Result<std::unique_ptr<Decoder>> Decoder::create(const CodecConfig& config, int threads) {
  const AVCodec* codec = nullptr;
  if (config.codec_id != 0) codec = avcodec_find_decoder(static_cast<AVCodecID>(config.codec_id));
  if (!codec && !config.codec.empty()) codec = avcodec_find_decoder_by_name(config.codec.c_str());
  if (!codec) {
    return make_error(ErrorCode::unsupported, "no decoder for codec '" + config.codec + "'");
  }
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return make_error(ErrorCode::internal, "decoder: out of memory");
  if (!config.extradata.empty()) {
    ctx->extradata = static_cast<uint8_t*>(
        av_mallocz(config.extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!ctx->extradata) return make_error(ErrorCode::internal, "decoder: out of memory");
    std::memcpy(ctx->extradata, config.extradata.data(), config.extradata.size());
    ctx->extradata_size = static_cast<int>(config.extradata.size());
  }
  ctx->width = config.width;
  ctx->height = config.height;
  ctx->pkt_timebase = AVRational{config.time_base_num, config.time_base_den};
  ctx->thread_count = threads;
  // Frame threading delays output by a frame per thread; slices cost no latency.
  ctx->thread_type = threads == 1 ? 0 : FF_THREAD_SLICE | FF_THREAD_FRAME;
  if (int rc = avcodec_open2(ctx.get(), codec, nullptr); rc < 0) {
    return make_error(ErrorCode::internal, "decoder: cannot open " + std::string(codec->name) +
                                               ": " + av::error_text(rc));
  }
  av::FramePtr frame(av_frame_alloc());
  av::PacketPtr packet(av_packet_alloc());
  if (!frame || !packet) return make_error(ErrorCode::internal, "decoder: out of memory");
  return std::unique_ptr<Decoder>(
      std::make_unique<AvDecoder>(std::move(ctx), std::move(frame), std::move(packet)));
}

Result<std::vector<DecodedFrame>> decode_packets(const CodecConfig& config,
                                                 const std::vector<Packet>& packets) {
  auto decoder = Decoder::create(config, 1);
  if (!decoder.ok()) return decoder.error();
  std::vector<DecodedFrame> frames;
  Status first_error;
  for (const Packet& p : packets) {
    Status s = (*decoder)->decode(p, frames);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  Status s = (*decoder)->flush(frames);
  if (!s.ok() && first_error.ok()) first_error = s;
  // A damaged packet loses some pictures, not the whole run.
  if (frames.empty() && !first_error.ok()) return first_error.error();
  return frames;
}

}  // namespace sl
