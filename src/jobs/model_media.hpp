// The step from a located ovs:// reference to the media a Backend receives (backends/
// chat_call.hpp): render the selected frames (cached JPEGs, or decoded pictures when the options
// ask, for the in-process engine) through the one MediaResolver and wrap them as ResolvedMedia. Chat Completions (api/chat_media) and the job runner both use it,
// so a job's run sees exactly what the same reference in a chat request would. It lives in jobs
// because jobs is the leftmost module that sees both refs and backends.
// Pure apart from the resolver's rendering: may decode GOPs, so run it on the media pool.
// Errors: the renderer's (frame_not_found when a frame was evicted meanwhile), with `param`.
#pragma once

#include <string>
#include <vector>

#include "backends/chat_call.hpp"
#include "core/status.hpp"
#include "refs/media_resolver.hpp"

namespace sl::jobs {

struct ModelMedia {
  ResolvedMedia media;   // frames in presentation order
  std::string stream_id;
  bool clamped = false;  // the reference reached before the oldest retained frame
};

// Rendered frames (of a stream, or sampled from a fetched video) as a backend's media.
ResolvedMedia to_resolved_media(const std::vector<RenderedFrame>& frames, bool video);

Result<ModelMedia> render_model_media(const MediaResolver& resolver, const OvsRef& ref,
                                      const LocatedMedia& located, const RenderOptions& options,
                                      const std::string& param);

}  // namespace sl::jobs
