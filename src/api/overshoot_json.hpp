// JSON of the Overshoot-compatible surface under /v0.2 (SPEC section 5, "Overshoot
// compatibility"; docs/api.md): the create body in both of Overshoot's shapes translated into the
// /v1 create body (so one parser, parse_create_stream, validates every stream), and the answers
// the Overshoot SDK reads: the created stream {"stream_id","webrtc","lease":{"ttl_seconds"}}, the
// keepalive, the delete, and the models list [{"model","ready","status"}].
// Pure functions, no I/O; errors are invalid_request (400) naming the field in `param`.
#pragma once

#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "backends/model_router.hpp"
#include "core/status.hpp"
#include "streams/stream_manager.hpp"

namespace sl::api {

// {"source":{...},"mode"?,"processing"?,"inference"?} (any /v1 source type) or the legacy
// {"webrtc":{"type":"offer","sdp"},"processing"?,"inference"?} -> the /v1 body: `source` (the
// legacy offer becomes {"type":"webrtc","sdp"}), a top-level `mode` moved into
// processing.mode, and sightline's own `lease`, `name`, `retention_seconds` passed through.
// Other top-level keys are ignored (newer SDKs may send more than this server uses).
Result<boost::json::object> overshoot_create_to_v1(const boost::json::object& body);

// The create answer: stream_id (and id), state, webrtc {"type":"answer","sdp"} for a webrtc
// source, lease {"ttl_seconds","expires_at_ms"} (null for a stream without a lease).
boost::json::object overshoot_created_json(const StreamStatus& status);

boost::json::object overshoot_keepalive_json(const KeepaliveResult& result);

boost::json::object overshoot_deleted_json(const StreamStatus& status);

// One {"model","ready","status"} per routed model; ready is true while the model takes new work
// (status ready or degraded).
boost::json::array overshoot_models_json(const std::vector<ModelInfo>& models);

}  // namespace sl::api
