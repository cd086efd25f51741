// The request pipeline between HttpServer and the route handlers: request id, CORS (answering
// preflights), routing (404/405 in the error envelope), authentication, per-route metrics
// (http_requests_total{route,method,status}, http_request_duration_seconds{route}, where route
// is the pattern, never the raw path) and a last-resort 500 when a handler fails to answer.
// Requests on WebSocket routes go through the same steps and are then upgraded (ws_upgrade.hpp);
// the pipeline owns the WebSocket sessions' registry (caps, shutdown).
#pragma once

#include <memory>

#include "api/auth.hpp"
#include "api/cors.hpp"
#include "api/http_types.hpp"
#include "api/request_metrics.hpp"
#include "api/router.hpp"
#include "api/ws_sessions.hpp"
#include "api/ws_settings.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"

namespace sl::api {

class ApiPipeline {
 public:
  ApiPipeline(Router router, KeyRing keys, CorsPolicy cors, Metrics& metrics, const Clock& clock,
              WsSettings websocket = {});

  asio::awaitable<void> handle(Request& req, ResponseWriter& writer) const;
  // A Handler for HttpServer; this pipeline must outlive the server's connections.
  Handler handler() const;
  // The WebSocket sessions started through this pipeline (shutdown closes them with 1001); the
  // pipeline must outlive them, so shut them down before destroying it.
  WsSessions& websockets() const { return *websockets_; }

 private:
  asio::awaitable<void> dispatch(Request& req, ResponseWriter& writer,
                                 std::string& route_label) const;

  Router router_;
  KeyRing keys_;
  CorsPolicy cors_;
  // unique_ptr: the pipeline is movable, the metrics cache (a shared_mutex) is not.
  std::unique_ptr<RequestMetrics> metrics_;
  const Clock& clock_;
  std::shared_ptr<WsSessions> websockets_;  // thread-safe; shared_ptr keeps handle() const
};

}  // namespace sl::api
