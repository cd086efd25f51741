// The model routing table: which Backend serves each client-facing model id. Built once at
// start-up by the app (from --backend flags and the config file) and read-only afterwards, so
// lookups take no lock. lookup() of an unknown id is the OpenAI 404 `model_not_found`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "backends/backend.hpp"
#include "backends/backend_config.hpp"
#include "core/status.hpp"
#include "net/http_client.hpp"

namespace sl {

struct ModelInfo {
  std::string id;
  BackendHealth health;  // health.status is the model's `status` in GET /v1/models
};

class ModelRouter {
 public:
  // invalid_request when the backend's model id is already routed.
  Status add(std::shared_ptr<Backend> backend);

  // model_not_found (param "model"), message "The model 'x' does not exist".
  Result<std::shared_ptr<Backend>> lookup(std::string_view model) const;

  // Every routed model, in the order added.
  std::vector<ModelInfo> list() const;
  size_t size() const { return backends_.size(); }
  // For the app's health probes.
  const std::vector<std::shared_ptr<Backend>>& backends() const { return backends_; }
  // Backend::shutdown() of every backend (after the network threads returned).
  void shutdown();

 private:
  std::vector<std::shared_ptr<Backend>> backends_;  // few entries: a linear scan beats hashing
};

// A router with one OpenAiHttpBackend per config; the first failing config's error.
// `media_executor` (optional, a thread pool) is where native-mode MP4s are built; `outbound`
// (optional) is the shared client whose pools every backend uses (null: one made here, with
// default pool settings, shared by these backends).
Result<ModelRouter> make_http_router(const std::vector<HttpBackendConfig>& configs,
                                     boost::asio::any_io_executor media_executor = {},
                                     std::shared_ptr<net::HttpClient> outbound = nullptr);

}  // namespace sl
