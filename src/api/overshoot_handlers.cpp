#include "api/overshoot_handlers.hpp"

#include <boost/json/array.hpp>

#include "api/error_response.hpp"
#include "api/overshoot_json.hpp"
#include "api/webrtc_json.hpp"

namespace sl::api {
namespace json = boost::json;
namespace {

asio::awaitable<void> send_error(const Request& req, ResponseWriter& w, const Error& e) {
  co_await w.send(error_response_for(req, e));
}

Error no_such_stream(std::string_view id) {
  return make_error(ErrorCode::stream_not_found, "No stream with id '" + std::string(id) + "'.");
}

asio::awaitable<void> create(OvershootRouteDeps d, Request& req, ResponseWriter& w) {
  auto body = parse_json_object(req.message.body());
  if (!body.ok()) co_return co_await send_error(req, w, body.error());
  auto v1 = overshoot_create_to_v1(*body);
  if (!v1.ok()) co_return co_await send_error(req, w, v1.error());
  Result<StreamStatus> status = co_await create_stream_from_body(d.streams, req.owner, *v1);
  if (!status.ok()) co_return co_await send_error(req, w, status.error());
  json::object out = overshoot_created_json(*status);
  // ice_servers (and publish for a whip source) as on /v1; Overshoot names its list turn_servers.
  add_webrtc_fields(out, *status, d.streams.webrtc, req);
  if (auto it = out.find("ice_servers"); it != out.end()) out["turn_servers"] = it->value();
  auto res = json_response(201, out);
  res.set(http::field::location, "/v1/streams/" + status->id);
  co_await w.send(std::move(res));
}

asio::awaitable<void> keepalive(OvershootRouteDeps d, Request& req, ResponseWriter& w) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id)) co_return co_await send_error(req, w, no_such_stream(id));
  auto result = d.streams.streams->keepalive(req.owner, id);
  if (!result.ok()) co_return co_await send_error(req, w, result.error());
  co_await w.send(json_response(200, overshoot_keepalive_json(*result)));
}

asio::awaitable<void> remove(OvershootRouteDeps d, Request& req, ResponseWriter& w) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id)) co_return co_await send_error(req, w, no_such_stream(id));
  auto status = d.streams.streams->remove(req.owner, id);
  if (!status.ok()) co_return co_await send_error(req, w, status.error());
  co_await w.send(json_response(200, overshoot_deleted_json(*status)));
}

asio::awaitable<void> models(OvershootRouteDeps d, Request&, ResponseWriter& w) {
  co_await w.send(json_response(200, overshoot_models_json(d.models->list())));
}

asio::awaitable<void> healthz(Request&, ResponseWriter& w) {
  json::object o;
  o["status"] = "ok";
  co_await w.send(json_response(200, o));
}


}  // namespace

void add_overshoot_routes(Router& router, const OvershootRouteDeps& deps) {
  using http::verb;
  router.add(verb::post, "/v0.2/streams", bind_route(deps, create));
  router.add(verb::post, "/v0.2/streams/{id}/keepalive", bind_route(deps, keepalive));
  router.add(verb::delete_, "/v0.2/streams/{id}", bind_route(deps, remove));
  router.add(verb::get, "/v0.2/models", bind_route(deps, models));
  router.add(verb::get, "/v0.2/healthz", healthz, RouteOptions{.auth = false});
}

}  // namespace sl::api
