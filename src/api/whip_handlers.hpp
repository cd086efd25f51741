// WHIP ingest (RFC 9725) at the publish URL of a `whip` stream:
//   POST   /v1/streams/{id}/whip            application/sdp offer -> 201 answer + Location
//   DELETE /v1/streams/{id}/whip/{session}  ends that publisher session -> 200
// Both carry `Authorization: Bearer <publish.token>` (the stream's publish secret, not an API
// key: OBS and GStreamer have one token field). The session in the Location is a random secret,
// never the stream id. GET/PUT/PATCH answer 405 (no trickle ICE: the answer holds every
// candidate), OPTIONS and CORS preflights are answered by the pipeline. ICE servers go out in
// Link headers. Errors in the OpenAI envelope: 401 missing/wrong token, 404 unknown stream or
// session, 409 a publisher is live already, 413 offer too large, 415 not application/sdp,
// 400 malformed SDP, 422 no video / only unsupported codecs.
// The negotiation blocks for ICE gathering, so it runs on `negotiate_executor`.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "api/router.hpp"
#include "api/webrtc_json.hpp"
#include "streams/stream_manager.hpp"

namespace sl::api {

struct WhipRouteDeps {
  StreamManager* streams = nullptr;
  WebRtcApiConfig webrtc;
  boost::asio::any_io_executor negotiate_executor;
};

void add_whip_routes(Router& router, const WhipRouteDeps& deps);

}  // namespace sl::api
