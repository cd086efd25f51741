#include "refs/media_resolver.hpp"

#include "media/scale.hpp"

namespace sl {
namespace {

Error with_param(Error e, const std::string& param) {
  if (e.param.empty()) e.param = param;
  return e;
}

}  // namespace

Result<LocatedMedia> MediaResolver::locate(const OvsRef& ref, const std::string& owner,
                                           int64_t now_wall_ms, const std::string& param,
                                           int64_t max_frames) const {
  auto store = streams_.store(owner, ref.stream_id);
  if (!store.ok()) {
    Error e = store.error();
    e.param = param;
    return e;
  }
  auto resolved = sl::resolve(ref, **store, now_wall_ms, param);
  if (!resolved.ok()) return with_param(resolved.error(), param);
  if (max_frames >= 0 && static_cast<int64_t>(resolved->frames.size()) > max_frames)
    return make_error(ErrorCode::invalid_reference,
                      "The segment samples " + std::to_string(resolved->frames.size()) +
                          " frames, over the limit of " + std::to_string(max_frames) +
                          " (chat.max_frames_per_request); lower max_fps or set max_frames.",
                      param);
  return LocatedMedia{std::move(*store), std::move(*resolved)};
}

bool MediaResolver::needs_decoding(const LocatedMedia& located, const RenderOptions& options) const {
  const FrameStore& fs = *located.store;
  const StoreStats stats = fs.stats();
  for (const FrameRecord& f : located.resolution.frames) {
    if (fs.decoded(f.index)) continue;
    if (stats.width > 0 && stats.height > 0) {
      const auto [w, h] = options.max_pixels ? fit_size(stats.width, stats.height, *options.max_pixels)
                                             : std::pair{stats.width, stats.height};
      if (fs.rendition(f.index, rendition_key(w, h, options.jpeg_quality))) continue;
    }
    return true;
  }
  return false;
}

Result<ResolvedReference> MediaResolver::render(const OvsRef& ref, const LocatedMedia& located,
                                                const RenderOptions& options,
                                                const std::string& param) const {
  auto rendered = renderer_.render(*located.store, located.resolution.frames, options);
  if (!rendered.ok()) return with_param(rendered.error(), param);
  ResolvedReference out;
  out.stream_id = ref.stream_id;
  out.video = ref.kind == RefKind::video;
  out.clamped = located.resolution.clamped;
  out.frames = std::move(*rendered);
  return out;
}

Result<ResolvedReference> MediaResolver::resolve(const OvsRef& ref, const std::string& owner,
                                                 int64_t now_wall_ms, const RenderOptions& options,
                                                 const std::string& param,
                                                 int64_t max_frames) const {
  auto located = locate(ref, owner, now_wall_ms, param, max_frames);
  if (!located.ok()) return located.error();
  return render(ref, *located, options, param);
}

}  // namespace sl
