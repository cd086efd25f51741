#include "backends/model_router.hpp"

#include "backends/openai_http_backend.hpp"

namespace sl {

Status ModelRouter::add(std::shared_ptr<Backend> backend) {
  if (!backend) return make_error(ErrorCode::internal, "null backend");
  const std::string id = backend->model_name();
  for (const auto& b : backends_) {
    if (b->model_name() == id) {
      return make_error(ErrorCode::invalid_request, "model '" + id + "' is configured twice", "--backend");
    }
  }
  backends_.push_back(std::move(backend));
  return Status();
}

Result<std::shared_ptr<Backend>> ModelRouter::lookup(std::string_view model) const {
  for (const auto& b : backends_) {
    if (b->model_name() == model) return b;
  }
  return make_error(ErrorCode::model_not_found,
                    "The model '" + std::string(model) + "' does not exist", "model");
}

std::vector<ModelInfo> ModelRouter::list() const {
  std::vector<ModelInfo> out;
  out.reserve(backends_.size());
  for (const auto& b : backends_) out.push_back(ModelInfo{b->model_name(), b->health()});
  return out;
}

void ModelRouter::shutdown() {
  for (const auto& b : backends_) b->shutdown();
}

Result<ModelRouter> make_http_router(const std::vector<HttpBackendConfig>& configs,
                                     boost::asio::any_io_executor media_executor,
                                     std::shared_ptr<net::HttpClient> outbound) {
  if (!outbound) outbound = net::HttpClient::create(net::ClientOptions{});
  ModelRouter router;
  for (const HttpBackendConfig& c : configs) {
    auto backend = OpenAiHttpBackend::create(c, media_executor, outbound);
    if (!backend) return backend.error();
    if (Status s = router.add(std::move(*backend)); !s) return s.error();
  }
  return router;
}

}  // namespace sl
