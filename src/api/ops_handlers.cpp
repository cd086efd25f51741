#include "api/ops_handlers.hpp"

#include "api/auth.hpp"
#include "api/error_response.hpp"
#include "api/openapi.hpp"

namespace sl::api {
namespace {

Response status_response(unsigned status, const char* text) {
  boost::json::object body;
  body["status"] = text;
  return json_response(status, body);
}

asio::awaitable<void> healthz(Request&, ResponseWriter& w) {
  co_await w.send(status_response(200, "ok"));
}

asio::awaitable<void> readyz(const std::atomic<bool>* ready, Request&, ResponseWriter& w) {
  if (ready->load())
    co_await w.send(status_response(200, "ready"));
  else
    co_await w.send(status_response(503, "shutting_down"));
}

asio::awaitable<void> metrics(OpsRouteDeps d, Request& req, ResponseWriter& w) {
  if (!d.metrics_token.empty()) {
    auto auth = req.message[http::field::authorization];
    if (!bearer_matches(std::string_view(auth.data(), auth.size()), d.metrics_token)) {
      auto res = error_response(
          make_error(ErrorCode::unauthorized, "This endpoint needs the metrics token."));
      res.set(http::field::www_authenticate, "Bearer");
      co_await w.send(std::move(res));
      co_return;
    }
  }
  Response res{http::status::ok, req.message.version()};
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = d.metrics->render();
  co_await w.send(std::move(res));
}

asio::awaitable<void> openapi(Request& req, ResponseWriter& w) {
  Response res{http::status::ok, req.message.version()};
  res.set(http::field::content_type, "application/json");
  res.body() = openapi_document();
  co_await w.send(std::move(res));
}

}  // namespace

void add_ops_routes(Router& router, const OpsRouteDeps& deps) {
  const RouteOptions open{.auth = false};
  router.add(http::verb::get, "/healthz", healthz, open);
  const std::atomic<bool>* ready = deps.ready;
  router.add(
      http::verb::get, "/readyz",
      [ready](Request& req, ResponseWriter& w) { return readyz(ready, req, w); }, open);
  router.add(
      http::verb::get, "/metrics",
      [deps](Request& req, ResponseWriter& w) { return metrics(deps, req, w); }, open);
  router.add(http::verb::get, "/openapi.json", openapi, open);
}

}  // namespace sl::api
