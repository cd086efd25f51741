#include "media/encoder.hpp"

#include <algorithm>
#include <cmath>
#include <string>

extern "C" {
#include <libavutil/opt.h>
}

#include "media/av_image.hpp"
#include "media/av_ptr.hpp"

namespace sl {

namespace {

class AvEncoder final : public Encoder {
 public:
  AvEncoder(av::CodecContextPtr ctx, av::FramePtr frame, av::PacketPtr packet,
            std::shared_ptr<const CodecConfig> config, bool full_range)
      : ctx_(std::move(ctx)),
        frame_(std::move(frame)),
        packet_(std::move(packet)),
        config_(std::move(config)),
        full_range_(full_range) {}

  std::shared_ptr<const CodecConfig> config() const override { return config_; }

  Status encode(const VideoImage& image, int64_t pts_ms, std::vector<Packet>& out) override {
    if (!image.valid()) return make_error(ErrorCode::internal, "encoder: empty image");
    VideoImage input = image;
    // The encoder takes I420 of its own size and range; anything else is converted once.
    if (image.layout != PixelLayout::i420 || image.full_range != full_range_ ||
        image.width != ctx_->width || image.height != ctx_->height) {
      auto converted = av::convert_to_i420(av::view_of(image), ctx_->width, ctx_->height,
                                           full_range_);
      if (!converted.ok()) return converted.status();
      input = std::move(converted).value();
    }
    av_frame_unref(frame_.get());
    frame_->format = ctx_->pix_fmt;
    frame_->width = ctx_->width;
    frame_->height = ctx_->height;
    frame_->color_range = full_range_ ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    for (size_t i = 0; i < 3; ++i) {
      // libavcodec copies a frame without buffers, so the image only has to live for the call.
      frame_->data[i] = const_cast<uint8_t*>(input.plane[i]);
      frame_->linesize[i] = input.stride[i];
    }
    frame_->pts = pts_ms;
    int rc = avcodec_send_frame(ctx_.get(), frame_.get());
    for (auto& p : frame_->data) p = nullptr;
    if (rc < 0) return make_error(ErrorCode::internal, "encode: " + av::error_text(rc));
    return receive(out);
  }

 private:
  Status receive(std::vector<Packet>& out) {
    for (;;) {
      int rc = avcodec_receive_packet(ctx_.get(), packet_.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return Status();
      if (rc < 0) return make_error(ErrorCode::internal, "encode: " + av::error_text(rc));
      Packet p;
      p.config = config_;
      p.data = std::make_shared<const Bytes>(packet_->data, packet_->data + packet_->size);
      p.keyframe = (packet_->flags & AV_PKT_FLAG_KEY) != 0;
      p.pts = packet_->pts == AV_NOPTS_VALUE ? kNoPts : packet_->pts;
      p.dts = packet_->dts == AV_NOPTS_VALUE ? kNoPts : packet_->dts;
      av_packet_unref(packet_.get());
      out.push_back(std::move(p));
    }
  }

  av::CodecContextPtr ctx_;
  av::FramePtr frame_;
  av::PacketPtr packet_;
  std::shared_ptr<const CodecConfig> config_;
  bool full_range_;
};

}  // namespace

Result<std::unique_ptr<Encoder>> Encoder::create(const EncoderOptions& options) {
  if (options.width <= 0 || options.height <= 0 || options.width % 2 || options.height % 2) {
    return make_error(ErrorCode::invalid_request, "encoder: size must be even and positive");
  }
  if (!(options.fps > 0)) return make_error(ErrorCode::invalid_request, "encoder: bad fps");
  const AVCodec* codec = nullptr;
  if (options.codec == "h264") codec = avcodec_find_encoder_by_name("libx264");
  const bool h264 = codec != nullptr;
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (!codec) return make_error(ErrorCode::unsupported, "encoder: no H.264 or MJPEG encoder");

  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return make_error(ErrorCode::internal, "encoder: out of memory");
  ctx->width = options.width;
  ctx->height = options.height;
  ctx->time_base = AVRational{1, 1000};
  ctx->framerate = av_d2q(options.fps, 1000);
  ctx->gop_size = std::max(1, options.gop);
  ctx->max_b_frames = 0;
  ctx->thread_count = 1;
  // MJPEG wants full range; H.264 carries video levels like a camera would.
  const bool full_range = !h264;
  ctx->pix_fmt = full_range ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
  ctx->color_range = full_range ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  if (options.bitrate_kbps > 0) {
    ctx->bit_rate = static_cast<int64_t>(options.bitrate_kbps) * 1000;
    ctx->rc_max_rate = ctx->bit_rate;
    ctx->rc_buffer_size = static_cast<int>(ctx->bit_rate);
  }
  AVDictionary* raw_opts = nullptr;
  if (h264) {
    // Global header for CodecConfig.extradata, and SPS/PPS repeated in-band on every keyframe so
    // that any stored GOP decodes on its own.
    ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    ctx->keyint_min = ctx->gop_size;
    av_dict_set(&raw_opts, "preset", "ultrafast", 0);
    av_dict_set(&raw_opts, "tune", "zerolatency", 0);
    av_dict_set(&raw_opts, "x264-params", "repeat-headers=1:scenecut=0", 0);
    if (options.bitrate_kbps <= 0) av_dict_set(&raw_opts, "crf", "23", 0);
  } else {
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = FF_QP2LAMBDA * 4;
  }
  std::unique_ptr<AVDictionary, av::DictionaryDeleter> opts(raw_opts);
  AVDictionary* opts_ptr = opts.release();
  int rc = avcodec_open2(ctx.get(), codec, &opts_ptr);
  opts.reset(opts_ptr);
  if (rc < 0) {
    return make_error(ErrorCode::internal, "encoder: cannot open " + std::string(codec->name) +
                                               ": " + av::error_text(rc));
  }
  auto config = std::make_shared<CodecConfig>();
  config->codec = h264 ? "h264" : "mjpeg";
  config->codec_id = codec->id;
  if (ctx->extradata && ctx->extradata_size > 0) {
    config->extradata.assign(ctx->extradata, ctx->extradata + ctx->extradata_size);
  }
  config->width = options.width;
  config->height = options.height;
  config->time_base_num = 1;
  config->time_base_den = 1000;

  av::FramePtr frame(av_frame_alloc());
  av::PacketPtr packet(av_packet_alloc());
  if (!frame || !packet) return make_error(ErrorCode::internal, "encoder: out of memory");
  return std::unique_ptr<Encoder>(std::make_unique<AvEncoder>(
      std::move(ctx), std::move(frame), std::move(packet), std::move(config), full_range));
}

}  // namespace sl
