#include "api/api_pipeline.hpp"

#include <chrono>

#include "api/error_response.hpp"
#include "core/guarded.hpp"
#include "api/ws_upgrade.hpp"
#include "core/log.hpp"
#include "core/random_id.hpp"

namespace sl::api {
namespace {

constexpr const char* kUnmatched = "unmatched";

std::string header(const Request& req, http::field f) {
  auto v = req.message[f];
  return std::string(v.data(), v.size());
}

}  // namespace

ApiPipeline::ApiPipeline(Router router, KeyRing keys, CorsPolicy cors, Metrics& metrics,
                         const Clock& clock, WsSettings websocket)
    : router_(std::move(router)), keys_(std::move(keys)), cors_(std::move(cors)),
      metrics_(std::make_unique<RequestMetrics>(metrics)),
      clock_(clock),
      websockets_(std::make_shared<WsSessions>(websocket)) {
  websockets_->report_to(metrics);
}

Handler ApiPipeline::handler() const {
  return [this](Request& req, ResponseWriter& w) { return handle(req, w); };
}

asio::awaitable<void> ApiPipeline::handle(Request& req, ResponseWriter& writer) const {
  const int64_t start = clock_.steady_ms();
  const auto t0 = std::chrono::steady_clock::now();
  req.request_id = random_hex_id("req_", 12);
  writer.add_header("X-Request-Id", req.request_id);

  std::string route_label = kUnmatched;
  // A failure is logged by guarded(); the writer's state says whether anything was answered.
  (void)co_await guarded(dispatch(req, writer, route_label), "http", "handler");
  if (!writer.started() && !writer.client_gone())
    co_await writer.send(error_response_for(
        req, make_error(ErrorCode::internal, "The server produced no response.")));

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int status = writer.started() ? static_cast<int>(writer.status()) : 499;
  metrics_->record(route_label, req.method(), status, seconds);
  if (log::level() <= log::Level::debug)
    log::debug("http", std::string(http::to_string(req.method())) + " " + req.path + " " +
                           std::to_string(status) + " " +
                           std::to_string(clock_.steady_ms() - start) + "ms " + req.request_id);
}

asio::awaitable<void> ApiPipeline::dispatch(Request& req, ResponseWriter& writer,
                                            std::string& route_label) const {
  const std::string origin = header(req, http::field::origin);
  const bool preflight = req.method() == http::verb::options && !origin.empty() &&
                         !header(req, http::field::access_control_request_method).empty();

  RouteMatch m = router_.match(req.method(), req.path);
  if (m.kind != RouteMatch::Kind::not_found) route_label = m.pattern;

  if (preflight) {
    Response res{http::status::no_content, req.message.version()};
    const bool private_network =
        req.message["Access-Control-Request-Private-Network"] == "true";
    for (auto& [k, v] : cors_.preflight_headers(
             origin, header(req, http::field::access_control_request_headers), private_network))
      res.set(k, v);
    co_await writer.send(std::move(res));
    co_return;
  }
  if (!origin.empty())
    for (auto& [k, v] : cors_.response_headers(origin)) writer.add_header(k, v);

  if (m.kind == RouteMatch::Kind::not_found) {
    co_await writer.send(error_response_for(
        req, make_error(ErrorCode::not_found, "Unknown route: " +
                                                  std::string(http::to_string(req.method())) +
                                                  " " + req.path)));
    co_return;
  }
  if (m.kind == RouteMatch::Kind::method_not_allowed) {
    if (req.method() == http::verb::options) {
      Response res{http::status::no_content, req.message.version()};
      res.set(http::field::allow, allow_header(m.allowed) + ", OPTIONS");
      co_await writer.send(std::move(res));
      co_return;
    }
    auto res = error_response_for(req, 405, "invalid_request_error", "method_not_allowed",
                              "Method " + std::string(http::to_string(req.method())) +
                                  " is not allowed on " + m.pattern + ".");
    res.set(http::field::allow, allow_header(m.allowed));
    co_await writer.send(std::move(res));
    co_return;
  }

  req.route = m.pattern;
  req.params = std::move(m.params);
  if (m.route->websocket) {
    co_await upgrade_websocket(*m.route->websocket, req, writer, keys_, *websockets_);
    co_return;
  }
  if (m.route->options.auth) {
    auto owner = keys_.authenticate(header(req, http::field::authorization));
    if (!owner.ok()) {
      auto res = error_response_for(req, owner.error());
      res.set(http::field::www_authenticate, "Bearer");
      co_await writer.send(std::move(res));
      co_return;
    }
    req.owner = std::move(owner.value());
  } else if (keys_.is_insecure()) {
    req.owner = kAnonymousOwner;
  }
  co_await m.route->handler(req, writer);
}

}  // namespace sl::api
