// The stream's WebSocket (SPEC sections 4 and 5): GET /v1/ws/streams/{id} (bearer auth at the
// upgrade) and GET /v0.2/ws/streams/{id} (also the Overshoot first message {"api_key": ...}).
// A reader of a stream its key may not see is closed with 1008; when the stream ends, every
// reader is closed with 1001 and reason "stream ended: <reason>" (client_requested,
// lease_expired, source_failed, webrtc_disconnected, shutdown, ...). Continuous-inference
// results (issue 10) are published to the same sockets.
// Continuous-inference results come from jobs::ResultsHub (one subscription per reader, taken
// after the key check); a slow reader loses its oldest queued results (ws_session's policy).
// Threading: the handler runs on the session's executor and only subscribes; the stream's final
// event and results arrive on other threads and only call the (thread-safe) handle.
#pragma once

#include <string>

#include "api/router.hpp"
#include "jobs/results_hub.hpp"
#include "streams/stream_manager.hpp"

namespace sl::api {

// The close reason for a stream's end_reason (Overshoot's words where it has them).
std::string stream_end_close_reason(const SourceEvent& final_event);

// `results` may be null (no continuous inference: the sockets only report the stream's end).
void add_stream_socket_routes(Router& router, StreamManager* streams,
                              jobs::ResultsHub* results = nullptr);

}  // namespace sl::api
