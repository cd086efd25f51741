#include "api/overshoot_json.hpp"

#include <string>

#include "core/json_read.hpp"

namespace sl::api {
namespace json = boost::json;
namespace {

Error bad(const std::string& param, const std::string& message) {
  return make_error(ErrorCode::invalid_request, message, param);
}

const json::value* find(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

// The legacy {"webrtc":{"type":"offer","sdp"}} as a /v1 webrtc source.
Result<json::object> legacy_offer_source(const json::value& webrtc) {
  if (!webrtc.is_object()) return json_type_error("webrtc", "an object {\"type\":\"offer\",\"sdp\"}");
  const json::object& offer = webrtc.get_object();
  if (const json::value* type = find(offer, "type")) {
    if (!type->is_string()) return json_type_error("webrtc.type", "a string");
    if (type->get_string() != "offer")
      return bad("webrtc.type", "'webrtc.type' must be \"offer\" (the client sends the offer).");
  }
  const json::value* sdp = find(offer, "sdp");
  if (!sdp) return bad("webrtc.sdp", "Missing required parameter: 'webrtc.sdp' (the SDP offer).");
  if (!sdp->is_string()) return json_type_error("webrtc.sdp", "a string");
  if (sdp->get_string().empty())
    return bad("webrtc.sdp", "Missing required parameter: 'webrtc.sdp' (the SDP offer).");
  json::object source;
  source["type"] = "webrtc";
  source["sdp"] = sdp->get_string();
  return source;
}

json::value lease_json(const StreamStatus& s) {
  if (!s.lease || !s.ttl_seconds) return nullptr;
  json::object lease;
  lease["ttl_seconds"] = *s.ttl_seconds;
  if (s.expires_at_ms) lease["expires_at_ms"] = *s.expires_at_ms;
  return lease;
}

}  // namespace

Result<json::object> overshoot_create_to_v1(const json::object& body) {
  const json::value* source = find(body, "source");
  const json::value* webrtc = find(body, "webrtc");
  if (source && webrtc)
    return bad("webrtc", "Give either 'source' or the legacy 'webrtc' offer, not both.");
  if (!source && !webrtc)
    return bad("source",
               "Missing required parameter: 'source' (or the legacy 'webrtc' offer).");

  json::object out;
  if (source) {
    out["source"] = *source;  // any /v1 source; parse_create_stream checks it
  } else {
    auto offer = legacy_offer_source(*webrtc);
    if (!offer.ok()) return offer.error();
    out["source"] = std::move(*offer);
  }

  json::object processing;
  if (const json::value* p = find(body, "processing")) {
    if (!p->is_object()) return json_type_error("processing", "an object");
    processing = p->get_object();
  }
  if (const json::value* mode = find(body, "mode")) {
    if (!mode->is_string()) return json_type_error("mode", "a string");
    const json::value* inner = find(processing, "mode");
    if (inner && (!inner->is_string() || inner->get_string() != mode->get_string()))
      return bad("mode", "'mode' and 'processing.mode' disagree; give one of them.");
    processing["mode"] = mode->get_string();
  }
  if (!processing.empty() || find(body, "processing")) out["processing"] = std::move(processing);

  for (std::string_view key : {"inference", "lease", "name", "retention_seconds"})
    if (auto it = body.find(key); it != body.end()) out[key] = it->value();
  return out;
}

json::object overshoot_created_json(const StreamStatus& s) {
  json::object o;
  o["stream_id"] = s.id;
  o["id"] = s.id;
  o["state"] = s.state;
  if (s.answer) {
    json::object answer;
    answer["type"] = "answer";
    answer["sdp"] = s.answer->sdp;
    o["webrtc"] = std::move(answer);
  }
  o["lease"] = lease_json(s);
  return o;
}

json::object overshoot_keepalive_json(const KeepaliveResult& r) {
  json::object lease;
  lease["ttl_seconds"] = r.ttl_seconds;
  lease["expires_at_ms"] = r.expires_at_ms;
  json::object o;
  o["status"] = "ok";
  o["stream_id"] = r.id;
  o["lease"] = std::move(lease);
  o["ttl_seconds"] = r.ttl_seconds;
  o["expires_at_ms"] = r.expires_at_ms;
  o["stream_time_ms"] = r.stream_time_ms;
  return o;
}

json::object overshoot_deleted_json(const StreamStatus& s) {
  json::object o;
  o["status"] = "stopped";
  o["stream_id"] = s.id;
  o["deleted"] = true;
  return o;
}

json::array overshoot_models_json(const std::vector<ModelInfo>& models) {
  json::array out;
  for (const ModelInfo& m : models) {
    json::object o;
    o["model"] = m.id;
    o["ready"] = m.health.status == "ready" || m.health.status == "degraded";
    o["status"] = m.health.status;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace sl::api
