#include "refs/frame_renderer.hpp"

#include <algorithm>
#include <latch>
#include <string>
#include <utility>

#include <boost/asio/post.hpp>

#include "core/background_priority.hpp"
#include "media/decoder.hpp"
#include "media/jpeg.hpp"
#include "media/scale.hpp"

namespace sl {

namespace {



std::pair<int, int> output_size(int width, int height, const RenderOptions& options) {
  return options.max_pixels ? fit_size(width, height, *options.max_pixels)
                            : std::pair{width, height};
}

// Size of a JPEG that a client can decode on its own, or nullopt. Motion-JPEG from some
// cameras leaves out the Huffman tables (DHT) and relies on the standard ones; many image
// decoders reject that, so such frames are decoded and re-encoded instead of passed through.
std::optional<std::pair<int, int>> standalone_jpeg_size(const Bytes& b) {
  if (b.size() < 4 || b[0] != 0xFF || b[1] != 0xD8) return std::nullopt;
  bool has_dht = false;
  std::optional<std::pair<int, int>> size;
  size_t pos = 2;
  while (pos + 4 <= b.size()) {
    if (b[pos] != 0xFF) return std::nullopt;
    const uint8_t marker = b[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      pos += 2;
      continue;
    }
    if (marker == 0xDA) return has_dht && size ? size : std::nullopt;  // start of scan
    const size_t len = (static_cast<size_t>(b[pos + 2]) << 8) | b[pos + 3];
    if (len < 2 || pos + 2 + len > b.size()) return std::nullopt;
    if (marker == 0xC4) has_dht = true;
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                     marker != 0xCC;
    if (sof && len >= 7) {
      const int h = (b[pos + 5] << 8) | b[pos + 6];
      const int w = (b[pos + 7] << 8) | b[pos + 8];
      if (w > 0 && h > 0) size = std::pair{w, h};
    }
    pos += 2 + len;
  }
  return std::nullopt;
}

Error internal(std::string message) { return make_error(ErrorCode::internal, std::move(message)); }

// Caches `jpeg` unless another render got there first, and returns the cached copy so every
// answer for a frame and size is the same bytes.
SharedBytes cache(const FrameStore& store, int64_t index, uint64_t key, SharedBytes jpeg) {
  store.put_rendition(index, key, jpeg);
  SharedBytes cached = store.rendition(index, key);
  return cached ? cached : jpeg;
}

// Scales (when max_pixels asks for it), encodes and caches one picture; or, for
// FrameForm::picture, hands the (scaled) picture itself over.
Status render_picture(const FrameStore& store, const VideoImage& image,
                      const RenderOptions& options, RenderedFrame& out) {
  const auto [w, h] = output_size(image.width, image.height, options);
  if (options.form == FrameForm::picture) {
    out.width = w;
    out.height = h;
    if (w == image.width && h == image.height) {
      out.picture = image;  // shares the decoder's (or the store's) planes
      return Status();
    }
    auto scaled = scale_image(image, w, h);
    if (!scaled.ok()) {
      return internal("frame " + std::to_string(out.index) + ": " + scaled.error().message);
    }
    out.picture = std::move(*scaled);
    return Status();
  }
  const uint64_t key = rendition_key(w, h, options.jpeg_quality);
  out.width = w;
  out.height = h;
  if ((out.jpeg = store.rendition(out.index, key))) return Status();

  Result<Bytes> jpeg = [&]() -> Result<Bytes> {
    if (w == image.width && h == image.height) return encode_jpeg(image, options.jpeg_quality);
    auto scaled = scale_image(image, w, h);
    if (!scaled.ok()) return scaled.error();
    return encode_jpeg(*scaled, options.jpeg_quality);
  }();
  if (!jpeg.ok()) {
    return internal("frame " + std::to_string(out.index) + ": " + jpeg.error().message);
  }
  out.jpeg = cache(store, out.index, key, std::make_shared<const Bytes>(std::move(*jpeg)));
  return Status();
}

// An MJPEG frame whose size already fits is served as the camera sent it.
bool pass_through(const FrameStore& store, const GopSnapshot& gop, const RenderOptions& options,
                  RenderedFrame& out) {
  if (!gop.config || gop.config->codec != "mjpeg") return false;
  if (gop.packets.size() != 1 || gop.frames.size() != 1 || !gop.packets[0].data) return false;
  const auto size = standalone_jpeg_size(*gop.packets[0].data);
  if (!size || output_size(size->first, size->second, options) != *size) return false;
  out.width = size->first;
  out.height = size->second;
  out.jpeg = cache(store, out.index, rendition_key(out.width, out.height, options.jpeg_quality),
                   gop.packets[0].data);
  return true;
}

struct GopWork {
  GopSnapshot gop;
  std::vector<size_t> wanted;  // positions in the output to fill from a re-decode
};

bool holds(const GopSnapshot& gop, int64_t index) {
  return std::any_of(gop.frames.begin(), gop.frames.end(),
                     [&](const auto& f) { return f.first == index; });
}

// Decodes the GOP once, in decode order, and renders each wanted frame as soon as its picture
// comes out; decoding stops after the last wanted one, and no picture is held longer than it
// takes to encode it (a whole decoded GOP of 720p would be ~80 MB).
Status render_from_gop(const FrameStore& store, const GopWork& work,
                       const RenderOptions& options, std::vector<RenderedFrame>& out) {
  if (!work.gop.config) return internal("frame has no codec configuration");
  struct Want {
    size_t pos;       // in `out`
    size_t order;     // presentation order within the GOP
    int64_t pts;      // kNoPts when the source had none: matched by order instead
    bool done = false;
  };
  std::vector<Want> wants;
  for (size_t pos : work.wanted) {
    for (size_t order = 0; order < work.gop.frames.size(); ++order) {
      if (work.gop.frames[order].first == out[pos].index) {
        wants.push_back(Want{pos, order, work.gop.frames[order].second});
        break;
      }
    }
  }
  if (wants.size() != work.wanted.size())
    return internal("frame " + std::to_string(out[work.wanted[0]].index) + " is not in its GOP");

  auto decoder = Decoder::create(*work.gop.config);
  if (!decoder.ok()) return internal("re-decoding: " + decoder.error().message);
  size_t remaining = wants.size();
  size_t produced = 0;  // pictures out so far = presentation order of the next one
  std::vector<DecodedFrame> ready;
  auto take = [&]() -> Status {
    for (const DecodedFrame& d : ready) {
      const size_t order = produced++;
      for (Want& w : wants) {
        if (w.done) continue;
        const bool match = w.pts != kNoPts ? d.pts == w.pts : order == w.order;
        if (!match || !d.image.valid()) continue;
        Status s = render_picture(store, d.image, options, out[w.pos]);
        if (!s.ok()) return s;
        w.done = true;
        --remaining;
      }
    }
    ready.clear();
    return Status();
  };
  for (const Packet& packet : work.gop.packets) {
    if (remaining == 0) break;
    Status s = (*decoder)->decode(packet, ready);
    if (!s.ok()) return internal("re-decoding frame " + std::to_string(out[wants[0].pos].index) +
                                 ": " + s.error().message);
    if (Status t = take(); !t.ok()) return t;
  }
  if (remaining > 0) {
    Status s = (*decoder)->flush(ready);
    if (!s.ok()) return internal("re-decoding: " + s.error().message);
    if (Status t = take(); !t.ok()) return t;
  }
  for (const Want& w : wants)
    if (!w.done)
      return internal("frame " + std::to_string(out[w.pos].index) +
                      " is missing from its re-decoded GOP");
  return Status();
}

}  // namespace

Result<std::vector<RenderedFrame>> FrameRenderer::render(const FrameStore& store,
                                                         const std::vector<FrameRecord>& frames,
                                                         const RenderOptions& options) const {
  std::vector<RenderedFrame> out(frames.size());
  // Cheapest first: a cached JPEG at the size the stream's current pictures would get.
  const StoreStats stats = store.stats();
  std::vector<size_t> pending;
  for (size_t i = 0; i < frames.size(); ++i) {
    RenderedFrame& f = out[i];
    f.index = frames[i].index;
    f.timestamp_ms = frames[i].timestamp_ms;
    if (options.form == FrameForm::jpeg && stats.width > 0 && stats.height > 0) {
      const auto [w, h] = output_size(stats.width, stats.height, options);
      if ((f.jpeg = store.rendition(f.index, rendition_key(w, h, options.jpeg_quality)))) {
        f.width = w;
        f.height = h;
        continue;
      }
    }
    pending.push_back(i);
  }

  // Then MJPEG pass-through, kept pictures, and re-decodes grouped by GOP.
  std::vector<GopWork> gops;
  for (size_t i : pending) {
    RenderedFrame& f = out[i];
    auto it = std::find_if(gops.begin(), gops.end(),
                           [&](const GopWork& w) { return holds(w.gop, f.index); });
    if (it == gops.end()) {
      if (auto gop = store.gop_for(f.index); gop.ok()) {
        gops.push_back(GopWork{std::move(*gop), {}});
        it = std::prev(gops.end());
      }
    }
    if (options.form == FrameForm::jpeg && it != gops.end() &&
        pass_through(store, it->gop, options, f))
      continue;
    if (auto image = store.decoded(f.index)) {
      Status s = render_picture(store, *image, options, f);
      if (!s.ok()) return s.error();
      continue;
    }
    if (it == gops.end()) {
      return make_error(ErrorCode::frame_not_found,
                        "frame " + std::to_string(f.index) + " is no longer retained");
    }
    it->wanted.push_back(i);
  }
  std::erase_if(gops, [](const GopWork& w) { return w.wanted.empty(); });
  // Each GOP decodes independently and fills distinct slots of `out`, so workers share nothing
  // but the store (thread-safe). Workers take GOPs round-robin; errors are reported in order.
  const size_t workers =
      std::min(gops.size(), static_cast<size_t>(std::max(1, decode_threads_)));
  std::vector<Status> results(gops.size());
  auto run = [&](size_t first) {
    for (size_t g = first; g < gops.size(); g += workers)
      results[g] = render_from_gop(store, gops[g], options, out);
  };
  if (workers > 1) {
    // Helpers come from the renderer's own small pool (never the caller's pool, whose threads
    // may all be in here waiting); the caller works too and waits for the helpers' share.
    std::latch done(static_cast<std::ptrdiff_t>(workers - 1));
    for (size_t w = 1; w < workers; ++w) {
      boost::asio::post(*helpers_, [&run, &done, w] {
        run(w);
        done.count_down();
      });
    }
    run(0);
    done.wait();
  } else if (workers == 1) {
    run(0);
  }
  for (const Status& s : results)
    if (!s.ok()) return s.error();
  return out;
}

FrameRenderer::FrameRenderer(int decode_threads, int helper_nice)
    : decode_threads_(std::max(1, decode_threads)),
      helpers_(decode_threads_ > 1 ? std::make_unique<boost::asio::thread_pool>(
                                         static_cast<size_t>(decode_threads_ - 1))
                                   : nullptr) {
  if (helpers_) lower_pool_priority(*helpers_, decode_threads_ - 1, helper_nice);
}

FrameRenderer::~FrameRenderer() {
  if (helpers_) helpers_->join();
}

}  // namespace sl
