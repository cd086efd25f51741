// The pipeline's step for a request on a WebSocket route (Router::add_websocket), after routing
// and before the route's handler: the request must ask for the upgrade (else 426); it is
// authenticated like every request (a wrong or, unless the route accepts the key in the first
// message, missing bearer header: 401 before upgrading); a session place is reserved (429 at
// websocket.max_sessions or max_sessions_per_key, 503 while shutting down); then the connection
// is handed to a WsSession, which answers 101 and calls the route's handler once it is open.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "api/auth.hpp"
#include "api/http_types.hpp"
#include "api/router.hpp"
#include "api/ws_sessions.hpp"

namespace sl::api {

// `keys` and `sessions` must outlive the session (the pipeline owns both).
asio::awaitable<void> upgrade_websocket(const WsRoute& route, Request& req, ResponseWriter& writer,
                                        const KeyRing& keys, WsSessions& sessions);

}  // namespace sl::api
