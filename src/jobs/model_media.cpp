#include "jobs/model_media.hpp"

namespace sl::jobs {

ResolvedMedia to_resolved_media(const std::vector<RenderedFrame>& frames, bool video) {
  ResolvedMedia media;
  media.video = video;
  media.frames.reserve(frames.size());
  for (const RenderedFrame& f : frames)
    media.frames.push_back(MediaFrame{f.index, f.timestamp_ms, f.width, f.height, f.jpeg, f.picture});
  return media;
}

Result<ModelMedia> render_model_media(const MediaResolver& resolver, const OvsRef& ref,
                                      const LocatedMedia& located, const RenderOptions& options,
                                      const std::string& param) {
  auto resolved = resolver.render(ref, located, options, param);
  if (!resolved.ok()) return resolved.error();
  ModelMedia out;
  out.stream_id = resolved->stream_id;
  out.clamped = resolved->clamped;
  out.media = to_resolved_media(resolved->frames, resolved->video);
  out.media.stream_id = resolved->stream_id;  // the engine's vision cache key
  return out;
}

}  // namespace sl::jobs
