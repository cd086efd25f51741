// Operational endpoints, none behind API keys: GET /healthz (liveness), GET /readyz (200 while
// serving, 503 once shutdown has begun), GET /metrics (Prometheus text; behind `metrics_token`
// when one is configured) and GET /openapi.json.
#pragma once

#include <atomic>
#include <string>

#include "api/router.hpp"
#include "core/metrics.hpp"

namespace sl::api {

struct OpsRouteDeps {
  Metrics* metrics = nullptr;
  const std::atomic<bool>* ready = nullptr;  // owned by the app; false while shutting down
  std::string metrics_token;                 // empty: /metrics is open
};

void add_ops_routes(Router& router, const OpsRouteDeps& deps);

}  // namespace sl::api
