#include "api/stream_socket.hpp"

#include <memory>
#include <utility>

#include "api/ws_handle.hpp"
#include "api/ws_route.hpp"

namespace sl::api {

std::string stream_end_close_reason(const SourceEvent& e) {
  std::string reason = e.end_reason;
  if (reason == "deleted") reason = "client_requested";
  else if (reason == "expired") reason = "lease_expired";
  else if (reason == "source_lost") reason = "webrtc_disconnected";
  else if (reason.empty()) reason = e.state == SourceState::failed ? "source_failed" : "source_ended";
  return "stream ended: " + reason;
}

namespace {

WsHandler stream_socket(StreamManager* streams, jobs::ResultsHub* results) {
  return [streams, results](WsOpen& open) {
    const std::string id = open.param("id");
    WsHandle session = open.session;
    auto sub = streams->subscribe_events(open.owner, id, [session](const SourceEvent& e) {
      if (e.state == SourceState::ended || e.state == SourceState::failed)
        session.close(ws_close::going_away, stream_end_close_reason(e));
    });
    if (!sub.ok()) {
      session.close(ws_close::policy_violation, "stream not found: " + id);
      return;
    }
    // Results after the key check; the payload is shared by every reader, never copied.
    Subscription result_sub;
    if (results)
      result_sub = results->subscribe(id, [session](const jobs::ResultPayload& p) { session.send(p); });
    // The subscriptions live as long as the session: on_close runs exactly once and drops them.
    auto held = std::make_shared<std::pair<Subscription, Subscription>>(std::move(*sub),
                                                                        std::move(result_sub));
    open.on_close = [held](const WsClose&) {
      held->second.reset();
      held->first.reset();
    };
    open.on_message = [](std::string, bool) {};  // nothing to say to us (yet): ignored
  };
}

}  // namespace

void add_stream_socket_routes(Router& router, StreamManager* streams, jobs::ResultsHub* results) {
  router.add_websocket("/v1/ws/streams/{id}", stream_socket(streams, results));
  router.add_websocket("/v0.2/ws/streams/{id}", stream_socket(streams, results),
                       WsRouteOptions{.first_message_auth = true});
}

}  // namespace sl::api
