// What a WebSocket route's handler sees (Router::add_websocket). The pipeline authenticates the
// upgrade (bearer header, or on routes that allow it the Overshoot-style first message
// {"api_key": "..."}), checks the session caps, and once the session is open calls the handler
// once, on the session's executor, with a WsOpen: who (owner), which path parameters, and the
// session's handle. The handler may keep the handle (producers on any thread send through it),
// set on_message / on_close, or close the session at once (e.g. close 1008 for an object the key
// may not see). It must not block: it runs on a network thread.
//
// Threading: on_message and on_close run on the session's executor, one at a time; on_close
// runs exactly once, when the session has ended (however it ended), after which no on_message
// follows. Both may call the handle. Exceptions thrown by them end the session (logged).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "api/ws_handle.hpp"

namespace sl::api {

struct WsRouteOptions {
  // Accept {"api_key": "..."} as the first message when the upgrade carries no Authorization
  // header (browsers cannot set headers on a WebSocket). A header, when given, always decides.
  bool first_message_auth = false;
};

struct WsOpen {
  // In.
  std::string owner;                          // authenticated owner id
  std::map<std::string, std::string> params;  // values of the route pattern's {name} segments
  std::string route;                          // the pattern, e.g. "/v1/ws/streams/{id}"
  std::string query;                          // raw query of the upgrade request
  std::string request_id;
  WsHandle session;
  // Out (optional).
  std::function<void(std::string data, bool binary)> on_message;
  std::function<void(const WsClose&)> on_close;

  const std::string& param(const std::string& name) const;
};

using WsHandler = std::function<void(WsOpen&)>;

}  // namespace sl::api
