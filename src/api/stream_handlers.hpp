// Handlers of the streams API (/v1/streams...): create, list, get, delete, keepalive, the
// frame endpoint that serves one frame as JPEG using the same query grammar, rules and errors
// as an image ovs:// reference, and the clip endpoint that serves a sampled segment (video
// ovs:// query) as an H.264 MP4. They translate between HTTP/JSON and StreamManager, refs and
// FrameRenderer; every error goes out in the OpenAI envelope via the one error table.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "api/router.hpp"
#include "core/stream_id.hpp"
#include "api/stream_json.hpp"
#include "api/webrtc_json.hpp"
#include "jobs/job_runner.hpp"
#include "refs/media_resolver.hpp"
#include "streams/stream_manager.hpp"

namespace sl::api {

struct StreamRouteDeps {
  StreamManager* streams = nullptr;   // create, list, delete, keepalive
  const MediaResolver* media = nullptr;  // frames and clips
  StreamDefaults defaults;
  int64_t max_clip_frames = 512;                 // GET .../clip; same limit as chat requests
  boost::asio::any_io_executor media_executor;   // where clips are decoded and encoded
  WebRtcApiConfig webrtc;                        // ice_servers and WHIP publish URLs
  const jobs::JobRunner* jobs = nullptr;         // the stream object's `job` (null: none)
};

void add_stream_routes(Router& router, const StreamRouteDeps& deps);

// What POST /v1/streams does with its body, for every route that creates streams (the
// Overshoot-shaped POST /v0.2/streams translates its body and comes here): validates it
// (parse_create_stream's errors), creates the stream for `owner`, and for a webrtc source answers
// the offer on deps.media_executor (ICE gathering blocks). Runs on the caller's executor; `deps`
// and `body` must outlive the co_await.
asio::awaitable<Result<StreamStatus>> create_stream_from_body(const StreamRouteDeps& deps,
                                                              std::string owner,
                                                              const boost::json::object& body);

using sl::valid_stream_id;  // core/stream_id.hpp

}  // namespace sl::api
