// MediaResolver: the one place that turns an ovs:// reference into media. Stream lookup (with
// per-key isolation), resolution on the SPEC section 3 rules (refs/ovs_ref.hpp) and rendering
// (refs/frame_renderer.hpp) happen here, for Chat Completions, GET .../frame, GET .../clip and
// (next) the job runner alike; callers only choose render options and present the result.
//
// locate() is cheap (index lookups, no decoding) and may run on a network thread; render() and
// resolve() may decode GOPs and must run on the media pool (core/offload.hpp), unless
// needs_decoding() says every frame is already decoded or encoded.
// Errors: those of the lookup (stream_not_found), of resolve() in ovs_ref.hpp, of the renderer,
// and invalid_reference when a segment selects more than `max_frames`; each carries `param`.
// Thread-safe; holds references to the lookup and renderer, which must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "refs/frame_renderer.hpp"
#include "refs/ovs_ref.hpp"
#include "store/stream_lookup.hpp"

namespace sl {

// A reference located in its stream: which frames, not yet rendered.
struct LocatedMedia {
  std::shared_ptr<const FrameStore> store;
  Resolution resolution;
};

// A reference resolved and rendered, with what the `ovs_media` summary reports.
struct ResolvedReference {
  std::string stream_id;
  bool video = false;
  bool clamped = false;
  std::vector<RenderedFrame> frames;  // presentation order
};

class MediaResolver {
 public:
  MediaResolver(const StreamLookup& streams, const FrameRenderer& renderer)
      : streams_(streams), renderer_(renderer) {}

  // `max_frames` < 0: no limit. `now_wall_ms`: when the request arrived (the live edge).
  Result<LocatedMedia> locate(const OvsRef& ref, const std::string& owner, int64_t now_wall_ms,
                              const std::string& param, int64_t max_frames = -1) const;
  // True when rendering would decode a GOP (the frames are neither kept decoded nor cached).
  bool needs_decoding(const LocatedMedia& located, const RenderOptions& options) const;
  Result<ResolvedReference> render(const OvsRef& ref, const LocatedMedia& located,
                                   const RenderOptions& options, const std::string& param) const;
  // locate() + render().
  Result<ResolvedReference> resolve(const OvsRef& ref, const std::string& owner,
                                    int64_t now_wall_ms, const RenderOptions& options,
                                    const std::string& param, int64_t max_frames = -1) const;

 private:
  const StreamLookup& streams_;
  const FrameRenderer& renderer_;
};

}  // namespace sl
