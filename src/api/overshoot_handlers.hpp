// The Overshoot-compatible routes under /v0.2 (SPEC section 5, "Overshoot compatibility";
// docs/api.md), for the unmodified Overshoot browser SDK and other Overshoot clients:
//   POST   /v0.2/streams                 both create shapes (overshoot_json.hpp) -> 201
//                                        {"stream_id","webrtc":{"type":"answer","sdp"},"lease"}
//   POST   /v0.2/streams/{id}/keepalive  renews the lease (the SDK sends an empty body)
//   DELETE /v0.2/streams/{id}            ends the stream (end reason deleted; sockets close 1001
//                                        "stream ended: client_requested")
//   GET    /v0.2/models                  [{"model","ready","status"}]
//   GET    /v0.2/healthz                 liveness, no key
// The WebSocket /v0.2/ws/streams/{id} is registered by stream_socket.hpp. These handlers reuse
// the /v1 machinery (create_stream_from_body, StreamManager) and differ only in JSON shapes;
// every error here goes out in Overshoot's {"error","message","request_id","details"} shape
// (error_response_for). PATCH /v0.2/streams/{id}/config/prompt is the /v1 prompt handler
// registered under this prefix too (by the app); answering its errors with error_response_for
// gives them this shape.
#pragma once

#include "api/router.hpp"
#include "api/stream_handlers.hpp"
#include "backends/model_router.hpp"

namespace sl::api {

struct OvershootRouteDeps {
  StreamRouteDeps streams;
  const ModelRouter* models = nullptr;
};

void add_overshoot_routes(Router& router, const OvershootRouteDeps& deps);

}  // namespace sl::api
