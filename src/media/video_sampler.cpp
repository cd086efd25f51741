#include "media/video_sampler.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "media/av_ptr.hpp"
#include "media/decoder.hpp"
#include "media/scale.hpp"

extern "C" {
#include <libavutil/mem.h>
}

namespace sl {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kIoBufferSize = 64 * 1024;
// Containers worth sampling. Playlist and concat demuxers are left out on purpose: they open
// further URLs, which a fetched file must never make the server do.
constexpr const char* kFormatWhitelist =
    "mov,matroska,webm,mpegts,avi,flv,ogg,mpeg,asf,gif,ivf,h264,hevc,m4v,mjpeg";

// Read-only AVIO over the caller's buffer.
struct MemoryReader {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;

  static int read(void* opaque, uint8_t* buf, int buf_size) {
    auto* r = static_cast<MemoryReader*>(opaque);
    if (r->pos >= r->size) return AVERROR_EOF;
    const size_t n = std::min(r->size - r->pos, static_cast<size_t>(buf_size));
    std::memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return static_cast<int>(n);
  }

  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* r = static_cast<MemoryReader*>(opaque);
    const auto size = static_cast<int64_t>(r->size);
    int64_t target = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case AVSEEK_SIZE: return size;
      case SEEK_SET: target = offset; break;
      case SEEK_CUR: target = static_cast<int64_t>(r->pos) + offset; break;
      case SEEK_END: target = size + offset; break;
      default: return AVERROR(EINVAL);
    }
    if (target < 0) return AVERROR(EINVAL);
    r->pos = static_cast<size_t>(std::min(target, size));
    return target;
  }
};

struct IoContextDeleter {
  void operator()(AVIOContext* io) const {
    av_freep(&io->buffer);  // libavformat may have replaced the buffer: free the current one
    avio_context_free(&io);
  }
};
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextDeleter>;

struct DictionaryPtr {
  AVDictionary* dict = nullptr;
  ~DictionaryPtr() { av_dict_free(&dict); }
};

// Nested opens (HLS segments, external MOV references, ...) are refused outright.
int refuse_nested_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) {
  return AVERROR(EPERM);
}

int past_deadline(void* opaque) {
  return SteadyClock::now() >= *static_cast<const SteadyClock::time_point*>(opaque) ? 1 : 0;
}

// The demuxer and what it reads from; the format context is closed before the AVIO it uses.
struct MemoryInput {
  MemoryReader reader;
  SteadyClock::time_point deadline;
  IoContextPtr io;
  av::FormatInputPtr format;
};

Error bad_video(const std::string& why) {
  return make_error(ErrorCode::invalid_request, "cannot read video: " + why);
}

Error too_slow() {
  return make_error(ErrorCode::payload_too_large, "video takes longer than " +
                                                      std::to_string(kMaxSampleSeconds) +
                                                      " s to sample");
}

Status check_size(int width, int height) {
  if (std::max(width, height) > kMaxVideoWidth ||
      static_cast<int64_t>(width) * height > kMaxVideoPixels) {
    return make_error(ErrorCode::payload_too_large,
                      "video frame size " + std::to_string(width) + "x" + std::to_string(height) +
                          " is over the limit of 7680x4320");
  }
  return Status();
}

Result<std::unique_ptr<MemoryInput>> open_input(const Bytes& bytes,
                                                SteadyClock::time_point deadline) {
  auto input = std::make_unique<MemoryInput>();
  input->reader = MemoryReader{bytes.data(), bytes.size(), 0};
  input->deadline = deadline;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
  if (buffer == nullptr) return make_error(ErrorCode::internal, "video: out of memory");
  AVIOContext* io = avio_alloc_context(buffer, kIoBufferSize, 0, &input->reader,
                                       &MemoryReader::read, nullptr, &MemoryReader::seek);
  if (io == nullptr) {
    av_free(buffer);
    return make_error(ErrorCode::internal, "video: out of memory");
  }
  input->io.reset(io);

  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return make_error(ErrorCode::internal, "video: out of memory");
  raw->pb = io;
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw->io_open = &refuse_nested_open;
  raw->interrupt_callback.callback = &past_deadline;
  raw->interrupt_callback.opaque = &input->deadline;
  DictionaryPtr options;
  av_dict_set(&options.dict, "format_whitelist", kFormatWhitelist, 0);
  // On failure avformat_open_input frees the context itself.
  if (int rc = avformat_open_input(&raw, nullptr, nullptr, &options.dict); rc < 0) {
    if (SteadyClock::now() >= deadline) return too_slow();
    return bad_video(av::error_text(rc));
  }
  input->format.reset(raw);
  if (int rc = avformat_find_stream_info(raw, nullptr); rc < 0) {
    if (SteadyClock::now() >= deadline) return too_slow();
    return bad_video(av::error_text(rc));
  }
  return input;
}

// The packets of one video stream, in decode order, and which of them are shown.
struct Demuxed {
  std::shared_ptr<CodecConfig> config;
  std::vector<Packet> packets;
  std::vector<int64_t> shown_pts;  // presentation times, ascending, unique
};

Result<Demuxed> demux_video(MemoryInput& input) {
  AVFormatContext* fmt = input.format.get();
  const int index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return bad_video("no video stream");
  const AVStream* stream = fmt->streams[index];
  const AVCodecParameters* par = stream->codecpar;
  if (Status s = check_size(par->width, par->height); !s.ok()) return s.error();

  Demuxed out;
  out.config = std::make_shared<CodecConfig>();
  out.config->codec = avcodec_get_name(par->codec_id);
  out.config->codec_id = static_cast<int>(par->codec_id);
  if (par->extradata != nullptr && par->extradata_size > 0) {
    out.config->extradata.assign(par->extradata, par->extradata + par->extradata_size);
  }
  out.config->width = par->width;
  out.config->height = par->height;
  out.config->time_base_num = stream->time_base.num;
  out.config->time_base_den = stream->time_base.den;

  av::PacketPtr pkt(av_packet_alloc());
  if (!pkt) return make_error(ErrorCode::internal, "video: out of memory");
  bool any_missing_pts = false;
  for (;;) {
    const int rc = av_read_frame(fmt, pkt.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      if (SteadyClock::now() >= input.deadline) return too_slow();
      if (out.packets.empty()) return bad_video(av::error_text(rc));
      break;  // a damaged tail: sample what came before it
    }
    if (pkt->stream_index == index && pkt->size > 0) {
      if (out.packets.size() >= kMaxVideoFrames) {
        return make_error(ErrorCode::payload_too_large,
                          "video has more than " + std::to_string(kMaxVideoFrames) + " frames");
      }
      Packet p;
      p.config = out.config;
      p.data = std::make_shared<const Bytes>(pkt->data, pkt->data + pkt->size);
      p.keyframe = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      p.pts = pkt->pts == AV_NOPTS_VALUE ? kNoPts : pkt->pts;
      p.dts = pkt->dts == AV_NOPTS_VALUE ? kNoPts : pkt->dts;
      if (p.pts == kNoPts) p.pts = p.dts;
      if (p.pts == kNoPts) any_missing_pts = true;
      // Packets an edit list cuts away are decoded (as references) but never shown.
      if (p.pts != kNoPts && (pkt->flags & AV_PKT_FLAG_DISCARD) == 0) out.shown_pts.push_back(p.pts);
      out.packets.push_back(std::move(p));
    }
    av_packet_unref(pkt.get());
  }
  if (out.packets.empty()) return bad_video("no video frames");

  if (any_missing_pts) {
    // No timing in the container (raw elementary streams): frames one frame interval apart, in
    // decode order.
    const AVRational rate = stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate
                                                           : AVRational{25, 1};
    out.shown_pts.clear();
    for (size_t i = 0; i < out.packets.size(); ++i) {
      out.packets[i].pts = av_rescale_q(static_cast<int64_t>(i), av_inv_q(rate), stream->time_base);
      out.packets[i].dts = out.packets[i].pts;
      out.shown_pts.push_back(out.packets[i].pts);
    }
  }
  std::sort(out.shown_pts.begin(), out.shown_pts.end());
  out.shown_pts.erase(std::unique(out.shown_pts.begin(), out.shown_pts.end()), out.shown_pts.end());
  if (out.shown_pts.empty()) return bad_video("no video frames");
  return out;
}

}  // namespace

std::vector<size_t> pick_evenly(const std::vector<double>& times_ms, double max_fps,
                                int max_frames, double slack_ms) {
  const size_t n = times_ms.size();
  if (n == 0 || !(max_fps > 0) || max_frames < 1) return {};
  const double t0 = times_ms.front();
  // n frames cover n frame intervals: the last frame lasts one interval too.
  const double span = n > 1 ? (times_ms.back() - t0) * static_cast<double>(n) / static_cast<double>(n - 1)
                            : 1000.0 / max_fps;
  // The division above leaves rounding dust even on exact times: forgive it (and any measuring
  // error the caller names) before rounding the count up, or 3 s at 1 fps could ask for a 4th.
  const double wanted = span / 1000.0 * max_fps - std::max(1e-6, slack_ms * max_fps / 1000.0);
  size_t k = 1;
  if (!(wanted < static_cast<double>(n))) {
    k = n;
  } else if (wanted > 1) {
    k = static_cast<size_t>(std::ceil(wanted));
  }
  k = std::min(k, static_cast<size_t>(max_frames));

  std::vector<size_t> out;
  out.reserve(k);
  const double step = span / static_cast<double>(k);
  size_t j = 0;
  for (size_t i = 0; i < k; ++i) {
    const double target = t0 + static_cast<double>(i) * step;
    while (j < n && times_ms[j] < target) ++j;
    // The nearest of the frames either side of the target; a tie goes to the earlier one.
    size_t pick = j;
    if (j == n || (j > 0 && target - times_ms[j - 1] <= times_ms[j] - target)) pick = j - 1;
    if (!out.empty() && out.back() >= pick) continue;
    out.push_back(pick);
  }
  return out;
}

Result<std::vector<SampledFrame>> sample_video(const Bytes& container_bytes, double max_fps,
                                               int max_frames, int64_t max_pixels) {
  if (!(max_fps > 0) || max_frames < 1 || max_pixels < 0) {
    return make_error(ErrorCode::invalid_request,
                      "video sampling needs max_fps > 0, max_frames >= 1 and max_pixels >= 0");
  }
  if (container_bytes.empty()) return bad_video("empty file");
  const auto deadline = SteadyClock::now() + std::chrono::seconds(kMaxSampleSeconds);
  auto input = open_input(container_bytes, deadline);
  if (!input.ok()) return input.error();
  auto demuxed = demux_video(**input);
  if (!demuxed.ok()) return demuxed.error();
  const Demuxed& d = *demuxed;

  const AVRational time_base{d.config->time_base_num, d.config->time_base_den};
  const int64_t first_pts = d.shown_pts.front();
  std::vector<double> times_ms;
  times_ms.reserve(d.shown_pts.size());
  for (int64_t pts : d.shown_pts) {
    times_ms.push_back(static_cast<double>(pts - first_pts) * 1000.0 * av_q2d(time_base));
  }
  const std::vector<size_t> picks = pick_evenly(times_ms, max_fps, max_frames);
  std::map<int64_t, size_t> slot_of_pts;  // pts -> position in the result
  for (size_t slot = 0; slot < picks.size(); ++slot) slot_of_pts[d.shown_pts[picks[slot]]] = slot;

  auto decoder = Decoder::create(*d.config, /*threads=*/0);
  if (!decoder.ok()) return decoder.error();
  std::vector<std::optional<SampledFrame>> slots(picks.size());
  size_t filled = 0;
  Status first_error;
  std::vector<DecodedFrame> decoded;

  // Keeps the picked pictures among `decoded` (downscaled when asked) and drops the rest.
  auto take = [&]() -> Status {
    for (DecodedFrame& f : decoded) {
      if (Status s = check_size(f.image.width, f.image.height); !s.ok()) return s;
      auto it = slot_of_pts.find(f.pts);
      if (it == slot_of_pts.end() || slots[it->second]) continue;
      SampledFrame frame;
      frame.timestamp_ms = std::llround(times_ms[picks[it->second]]);
      const auto [w, h] = fit_size(f.image.width, f.image.height, max_pixels);
      if (w != f.image.width || h != f.image.height) {
        auto scaled = scale_image(f.image, w, h);
        if (!scaled.ok()) return scaled.status();
        frame.image = std::move(scaled).value();
      } else {
        frame.image = std::move(f.image);
      }
      slots[it->second] = std::move(frame);
      ++filled;
    }
    decoded.clear();
    return Status();
  };

  for (const Packet& packet : d.packets) {
    if (filled == slots.size()) break;  // everything picked is in hand
    if (SteadyClock::now() >= deadline) return too_slow();
    Status s = (*decoder)->decode(packet, decoded);
    // A damaged packet loses some pictures, not the whole video.
    if (!s.ok() && first_error.ok()) first_error = s;
    if (Status t = take(); !t.ok()) return t.error();
  }
  if (filled < slots.size()) {
    Status s = (*decoder)->flush(decoded);
    if (!s.ok() && first_error.ok()) first_error = s;
    if (Status t = take(); !t.ok()) return t.error();
  }

  std::vector<SampledFrame> out;
  out.reserve(filled);
  for (auto& slot : slots) {
    if (slot) out.push_back(std::move(*slot));
  }
  if (out.empty()) {
    return bad_video(first_error.ok() ? "no frame could be decoded" : first_error.error().message);
  }
  return out;
}

}  // namespace sl
