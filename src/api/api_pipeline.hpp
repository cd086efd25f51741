// The request pipeline between HttpServer and the route handlers: request id, CORS (answering
// preflights), routing (404/405 in the error envelope), authentication, per-route metrics
// (http_requests_total{route,method,status}, http_request_duration_seconds{route}, where route
// is the pattern, never the raw path) and a last-resort 500 when a handler fails to answer.
#pragma once

#include <memory>

#include "api/auth.hpp"
#include "api/cors.hpp"
#include "api/http_types.hpp"
#include "api/request_metrics.hpp"
#include "api/router.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"

namespace sl::api {

class ApiPipeline {
 public:
  ApiPipeline(Router router, KeyRing keys, CorsPolicy cors, Metrics& metrics, const Clock& clock);

  asio::awaitable<void> handle(Request& req, ResponseWriter& writer) const;
  // A Handler for HttpServer; this pipeline must outlive the server's connections.
  Handler handler() const;

 private:
  asio::awaitable<void> dispatch(Request& req, ResponseWriter& writer,
                                 std::string& route_label) const;

  Router router_;
  KeyRing keys_;
  CorsPolicy cors_;
  // unique_ptr: the pipeline is movable, the metrics cache (a shared_mutex) is not.
  std::unique_ptr<RequestMetrics> metrics_;
  const Clock& clock_;
};

}  // namespace sl::api
