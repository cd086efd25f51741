#include "media/mp4_mux.hpp"

#include <algorithm>
#include <functional>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>

#include "media/encoder.hpp"
#include "media/jpeg.hpp"
#include "media/scale.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

namespace sl {
namespace {

constexpr int kIoBufferSize = 64 * 1024;

std::string av_error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

Error mux_error(std::string_view what, int err) {
  return make_error(ErrorCode::internal, std::string(what) + ": " + av_error_text(err));
}

// ---- RAII over the libavformat objects -------------------------------------------------

struct IoContextDeleter {
  void operator()(AVIOContext* io) const {
    if (io == nullptr) return;
    av_freep(&io->buffer);  // may have been reallocated by libavformat: free what it holds now
    avio_context_free(&io);
  }
};
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextDeleter>;

struct OutputContextDeleter {
  void operator()(AVFormatContext* ctx) const { avformat_free_context(ctx); }
};
using OutputContextPtr = std::unique_ptr<AVFormatContext, OutputContextDeleter>;

struct InputContextDeleter {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
using InputContextPtr = std::unique_ptr<AVFormatContext, InputContextDeleter>;

struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;

// A growable byte buffer that AVIO writes into, seeks in and reads from.
struct MemoryFile {
  Bytes data;
  size_t pos = 0;
  size_t limit = std::numeric_limits<size_t>::max();  // reads stop here

  static int write(void* opaque, uint8_t* buf, int size) {
    auto* f = static_cast<MemoryFile*>(opaque);
    const size_t n = static_cast<size_t>(size);
    if (f->pos + n > f->data.size()) f->data.resize(f->pos + n);
    std::memcpy(f->data.data() + f->pos, buf, n);
    f->pos += n;
    return size;
  }

  static int read(void* opaque, uint8_t* buf, int size) {
    auto* f = static_cast<MemoryFile*>(opaque);
    const size_t end = std::min(f->data.size(), f->limit);
    if (f->pos >= end) return AVERROR_EOF;
    const size_t n = std::min(end - f->pos, static_cast<size_t>(size));
    std::memcpy(buf, f->data.data() + f->pos, n);
    f->pos += n;
    return static_cast<int>(n);
  }

  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* f = static_cast<MemoryFile*>(opaque);
    const auto size = static_cast<int64_t>(std::min(f->data.size(), f->limit));
    int64_t target = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case AVSEEK_SIZE: return size;
      case SEEK_SET: target = offset; break;
      case SEEK_CUR: target = static_cast<int64_t>(f->pos) + offset; break;
      case SEEK_END: target = size + offset; break;
      default: return AVERROR(EINVAL);
    }
    if (target < 0) return AVERROR(EINVAL);
    f->pos = static_cast<size_t>(target);
    return target;
  }
};

IoContextPtr make_io(MemoryFile& file, bool writable) {
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
  if (buffer == nullptr) return nullptr;
  AVIOContext* io = avio_alloc_context(buffer, kIoBufferSize, writable ? 1 : 0, &file,
                                       writable ? nullptr : &MemoryFile::read,
                                       writable ? &MemoryFile::write : nullptr, &MemoryFile::seek);
  if (io == nullptr) {
    av_free(buffer);
    return nullptr;
  }
  return IoContextPtr(io);
}

// ---- faststart: move `moov` in front of `mdat`, as qt-faststart does ------------------

struct Box {
  size_t offset = 0;
  size_t size = 0;
  uint32_t type = 0;
};

constexpr uint32_t fourcc(const char (&s)[5]) {
  return (uint32_t{static_cast<uint8_t>(s[0])} << 24) | (uint32_t{static_cast<uint8_t>(s[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[2])} << 8) | uint32_t{static_cast<uint8_t>(s[3])};
}

uint32_t read_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint64_t read_u64(const uint8_t* p) { return (uint64_t{read_u32(p)} << 32) | read_u32(p + 4); }
void write_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
void write_u64(uint8_t* p, uint64_t v) {
  write_u32(p, static_cast<uint32_t>(v >> 32));
  write_u32(p + 4, static_cast<uint32_t>(v));
}

// Boxes directly inside [begin, end); nullopt when the sizes do not add up.
std::optional<std::vector<Box>> parse_boxes(const uint8_t* data, size_t begin, size_t end) {
  std::vector<Box> boxes;
  size_t pos = begin;
  while (pos < end) {
    if (end - pos < 8) return std::nullopt;
    uint64_t size = read_u32(data + pos);
    const uint32_t type = read_u32(data + pos + 4);
    if (size == 1) {
      if (end - pos < 16) return std::nullopt;
      size = read_u64(data + pos + 8);
    } else if (size == 0) {
      size = end - pos;
    }
    if (size < 8 || size > end - pos) return std::nullopt;
    boxes.push_back(Box{pos, static_cast<size_t>(size), type});
    pos += static_cast<size_t>(size);
  }
  return boxes;
}

size_t header_size(const uint8_t* data, const Box& box) {
  return read_u32(data + box.offset) == 1 ? 16 : 8;
}

// Adds `shift` to every chunk offset in [from, to) inside the moov at `moov`. False when a
// 32-bit offset would overflow or the structure is not understood.
bool shift_chunk_offsets(uint8_t* data, const Box& container, uint64_t from, uint64_t to,
                         uint64_t shift) {
  const size_t hdr = header_size(data, container);
  auto children = parse_boxes(data, container.offset + hdr, container.offset + container.size);
  if (!children) return false;
  for (const Box& child : *children) {
    const uint32_t t = child.type;
    if (t == fourcc("trak") || t == fourcc("mdia") || t == fourcc("minf") || t == fourcc("stbl")) {
      if (!shift_chunk_offsets(data, child, from, to, shift)) return false;
    } else if (t == fourcc("stco") || t == fourcc("co64")) {
      const size_t body = child.offset + header_size(data, child);
      const size_t end = child.offset + child.size;
      if (end - body < 8) return false;
      const uint32_t count = read_u32(data + body + 4);  // after version + flags
      const size_t entry = t == fourcc("stco") ? 4 : 8;
      if ((end - body - 8) / entry < count) return false;
      uint8_t* p = data + body + 8;
      for (uint32_t i = 0; i < count; ++i, p += entry) {
        uint64_t v = entry == 4 ? read_u32(p) : read_u64(p);
        if (v < from || v >= to) continue;
        v += shift;
        if (entry == 4) {
          if (v > std::numeric_limits<uint32_t>::max()) return false;
          write_u32(p, static_cast<uint32_t>(v));
        } else {
          write_u64(p, v);
        }
      }
    }
  }
  return true;
}

// Returns the file with moov first, or the input unchanged when it already is (or when the
// layout is not one this simple rewrite understands: the file stays valid either way).
Bytes move_moov_first(Bytes file) {
  auto boxes = parse_boxes(file.data(), 0, file.size());
  if (!boxes) return file;
  auto find = [&](uint32_t type) {
    return std::find_if(boxes->begin(), boxes->end(), [&](const Box& b) { return b.type == type; });
  };
  const auto moov = find(fourcc("moov"));
  const auto mdat = find(fourcc("mdat"));
  if (moov == boxes->end() || mdat == boxes->end() || moov < mdat) return file;

  Bytes moov_bytes(file.begin() + static_cast<ptrdiff_t>(moov->offset),
                   file.begin() + static_cast<ptrdiff_t>(moov->offset + moov->size));
  Box moov_local{0, moov->size, moov->type};
  if (!shift_chunk_offsets(moov_bytes.data(), moov_local, mdat->offset, moov->offset,
                           moov->size)) {
    return file;
  }
  Bytes out;
  out.reserve(file.size());
  out.insert(out.end(), file.begin(), file.begin() + static_cast<ptrdiff_t>(mdat->offset));
  out.insert(out.end(), moov_bytes.begin(), moov_bytes.end());
  for (auto it = mdat; it != boxes->end(); ++it) {
    if (it == moov) continue;
    out.insert(out.end(), file.begin() + static_cast<ptrdiff_t>(it->offset),
               file.begin() + static_cast<ptrdiff_t>(it->offset + it->size));
  }
  return out;
}

Result<AVCodecID> codec_id_of(const CodecConfig& config) {
  if (config.codec_id != 0) return static_cast<AVCodecID>(config.codec_id);
  if (const AVCodecDescriptor* d = avcodec_descriptor_get_by_name(config.codec.c_str())) {
    return d->id;
  }
  return make_error(ErrorCode::internal, "mp4 mux: unknown codec '" + config.codec + "'");
}

}  // namespace

Result<Bytes> mux_mp4(const CodecConfig& config, const std::vector<Packet>& packets) {
  if (packets.empty()) return make_error(ErrorCode::internal, "mp4 mux: no packets");
  if (config.time_base_num <= 0 || config.time_base_den <= 0) {
    return make_error(ErrorCode::internal, "mp4 mux: invalid time base");
  }
  auto codec_id = codec_id_of(config);
  if (!codec_id) return codec_id.error();

  AVFormatContext* raw = nullptr;
  int err = avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr);
  if (err < 0 || raw == nullptr) return mux_error("mp4 mux: no muxer", err);
  OutputContextPtr ctx(raw);

  MemoryFile file;
  IoContextPtr io = make_io(file, true);
  if (!io) return make_error(ErrorCode::internal, "mp4 mux: out of memory");
  ctx->pb = io.get();
  ctx->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_BITEXACT;

  AVStream* st = avformat_new_stream(ctx.get(), nullptr);
  if (st == nullptr) return make_error(ErrorCode::internal, "mp4 mux: cannot add stream");
  const AVRational tb{config.time_base_num, config.time_base_den};
  st->time_base = tb;
  AVCodecParameters* par = st->codecpar;
  par->codec_type = AVMEDIA_TYPE_VIDEO;
  par->codec_id = *codec_id;
  par->width = config.width;
  par->height = config.height;
  if (!config.extradata.empty()) {
    const size_t n = config.extradata.size();
    par->extradata = static_cast<uint8_t*>(av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE));
    if (par->extradata == nullptr) return make_error(ErrorCode::internal, "mp4 mux: out of memory");
    std::memcpy(par->extradata, config.extradata.data(), n);
    par->extradata_size = static_cast<int>(n);
  }

  if ((err = avformat_write_header(ctx.get(), nullptr)) < 0) {
    return mux_error("mp4 mux: write header", err);
  }

  PacketPtr pkt(av_packet_alloc());
  if (!pkt) return make_error(ErrorCode::internal, "mp4 mux: out of memory");
  int64_t last_duration = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    const Packet& in = packets[i];
    if (!in.data || in.pts == kNoPts) {
      return make_error(ErrorCode::internal, "mp4 mux: packet without data or pts");
    }
    int64_t duration = last_duration;
    if (i + 1 < packets.size() && packets[i + 1].pts != kNoPts) {
      duration = std::max<int64_t>(packets[i + 1].pts - in.pts, 0);
    }
    if (duration > 0) last_duration = duration;

    av_packet_unref(pkt.get());
    if ((err = av_new_packet(pkt.get(), static_cast<int>(in.data->size()))) < 0) {
      return mux_error("mp4 mux: packet", err);
    }
    if (!in.data->empty()) std::memcpy(pkt->data, in.data->data(), in.data->size());
    pkt->stream_index = st->index;
    pkt->pts = av_rescale_q(in.pts, tb, st->time_base);
    pkt->dts = av_rescale_q(in.dts == kNoPts ? in.pts : in.dts, tb, st->time_base);
    pkt->duration = av_rescale_q(duration, tb, st->time_base);
    if (in.keyframe) pkt->flags |= AV_PKT_FLAG_KEY;
    if ((err = av_write_frame(ctx.get(), pkt.get())) < 0) {
      return mux_error("mp4 mux: write packet", err);
    }
  }
  if ((err = av_write_trailer(ctx.get())) < 0) return mux_error("mp4 mux: write trailer", err);
  avio_flush(io.get());
  return move_moov_first(std::move(file.data));
}

namespace {

// Encodes `count` pictures that `picture(i)` produces in order (so a caller may decode each one
// only when it is needed) and muxes them.
Result<Bytes> encode_clip(size_t count, const std::function<Result<VideoImage>(size_t)>& picture,
                          const std::function<int64_t(size_t)>& timestamp_ms,
                          const ClipEncodeOptions& options) {
  if (count == 0) return make_error(ErrorCode::internal, "clip: no frames");
  auto first = picture(0);
  if (!first) return first.error();
  const int width = std::max(2, first->width & ~1);
  const int height = std::max(2, first->height & ~1);

  const int64_t t0 = timestamp_ms(0);
  const int64_t span_ms = std::max<int64_t>(timestamp_ms(count - 1) - t0, 1);
  EncoderOptions eo;
  eo.width = width;
  eo.height = height;
  eo.fps = count > 1 ? std::clamp(static_cast<double>(count - 1) * 1000.0 /
                                      static_cast<double>(span_ms),
                                  0.1, 120.0)
                     : 1.0;
  eo.gop = options.gop > 0 ? options.gop : static_cast<int>(std::min<size_t>(count, 600));
  eo.codec = options.codec;
  auto encoder = Encoder::create(eo);
  if (!encoder) return encoder.error();

  std::vector<Packet> packets;
  packets.reserve(count);
  int64_t prev_pts = -1;
  for (size_t i = 0; i < count; ++i) {
    Result<VideoImage> image = i == 0 ? std::move(first) : picture(i);
    if (!image) return image.error();
    if (image->width != width || image->height != height) {
      image = scale_image(*image, width, height);
      if (!image) return image.error();
    }
    const int64_t pts = std::max(timestamp_ms(i) - t0, prev_pts + 1);
    prev_pts = pts;
    if (Status s = (*encoder)->encode(*image, pts, packets); !s) return s.error();
  }
  if (packets.empty()) return make_error(ErrorCode::internal, "clip: encoder produced no packets");
  return mux_mp4(*(*encoder)->config(), packets);
}

}  // namespace

Result<Bytes> pictures_to_mp4(const std::vector<TimedPicture>& frames,
                              const ClipEncodeOptions& options) {
  for (const TimedPicture& f : frames) {
    if (!f.picture.valid()) return make_error(ErrorCode::internal, "clip: frame without picture");
  }
  return encode_clip(
      frames.size(), [&](size_t i) -> Result<VideoImage> { return frames[i].picture; },
      [&](size_t i) { return frames[i].timestamp_ms; }, options);
}

Result<Bytes> jpegs_to_mp4(const std::vector<TimedJpeg>& frames, const ClipEncodeOptions& options) {
  for (const TimedJpeg& f : frames) {
    if (!f.jpeg) return make_error(ErrorCode::internal, "clip: frame without JPEG");
  }
  return encode_clip(
      frames.size(), [&](size_t i) { return decode_jpeg(*frames[i].jpeg); },
      [&](size_t i) { return frames[i].timestamp_ms; }, options);
}

Result<Mp4Info> probe_mp4(const Bytes& bytes) {
  MemoryFile file;
  file.data = bytes;  // the demuxer reads through AVIO; a copy keeps `bytes` const
  IoContextPtr io = make_io(file, false);
  if (!io) return make_error(ErrorCode::internal, "mp4 probe: out of memory");
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return make_error(ErrorCode::internal, "mp4 probe: out of memory");
  raw->pb = io.get();
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  // On failure avformat_open_input frees the context itself.
  if (int err = avformat_open_input(&raw, nullptr, nullptr, nullptr); err < 0) {
    return make_error(ErrorCode::invalid_request, "mp4 probe: " + av_error_text(err));
  }
  InputContextPtr ctx(raw);
  int video = av_find_best_stream(ctx.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) return make_error(ErrorCode::invalid_request, "mp4 probe: no video track");
  const AVStream* st = ctx->streams[video];

  Mp4Info info;
  info.format = ctx->iformat != nullptr ? ctx->iformat->name : "";
  info.codec = avcodec_get_name(st->codecpar->codec_id);
  info.width = st->codecpar->width;
  info.height = st->codecpar->height;
  PacketPtr pkt(av_packet_alloc());
  if (!pkt) return make_error(ErrorCode::internal, "mp4 probe: out of memory");
  while (true) {
    int err = av_read_frame(ctx.get(), pkt.get());
    if (err == AVERROR_EOF) break;
    if (err < 0) return make_error(ErrorCode::invalid_request, "mp4 probe: " + av_error_text(err));
    if (pkt->stream_index == video) {
      info.pts_ms.push_back(av_rescale_q(pkt->pts, st->time_base, AVRational{1, 1000}));
      if (pkt->flags & AV_PKT_FLAG_KEY) ++info.keyframes;
    }
    av_packet_unref(pkt.get());
  }
  return info;
}

}  // namespace sl
