#include "api/whip_handlers.hpp"

#include <cctype>

#include <boost/asio/use_awaitable.hpp>

#include "api/error_response.hpp"
#include "core/offload.hpp"
#include "core/stream_id.hpp"

namespace sl::api {
namespace {

std::string header(const Request& req, http::field f) {
  auto v = req.message[f];
  return std::string(v.data(), v.size());
}

// The token of "Bearer <token>" (scheme case-insensitive), "" otherwise.
std::string bearer_token(const Request& req) {
  const std::string auth = header(req, http::field::authorization);
  if (auth.size() < 7) return {};
  std::string scheme = auth.substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return {};
  size_t start = 7;
  while (start < auth.size() && auth[start] == ' ') ++start;
  return auth.substr(start);
}

bool is_sdp(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/sdp";
}

asio::awaitable<void> send_error(ResponseWriter& w, const Error& e) {
  auto res = error_response(e);
  if (e.code == ErrorCode::unauthorized) res.set(http::field::www_authenticate, "Bearer");
  co_await w.send(std::move(res));
}

// The stream's owner when the request carries its publish token.
Result<std::string> authorize(const WhipRouteDeps& d, const Request& req) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id))
    return make_error(ErrorCode::stream_not_found, "No stream with id '" + id + "'.");
  return d.streams->authorize_publisher(id, bearer_token(req));
}

asio::awaitable<void> whip_publish(WhipRouteDeps d, Request& req, ResponseWriter& w) {
  auto owner = authorize(d, req);
  if (!owner.ok()) co_return co_await send_error(w, owner.error());
  if (!is_sdp(header(req, http::field::content_type))) {
    co_await w.send(error_response(415, "invalid_request_error", "unsupported_media_type",
                                   "A WHIP offer is sent as Content-Type: application/sdp."));
    co_return;
  }
  auto work = [streams = d.streams, owner = *owner, id = req.param("id"),
               offer = req.message.body()] { return streams->answer(owner, id, offer); };
  Result<SdpAnswer> answer = co_await offload(d.negotiate_executor, work);
  if (!answer.ok()) co_return co_await send_error(w, answer.error());

  Response res{http::status::created, req.message.version()};
  res.set(http::field::content_type, "application/sdp");
  res.set(http::field::location,
          "/v1/streams/" + req.param("id") + "/whip/" + answer->session_id);
  res.set(http::field::cache_control, "no-store");
  for (const std::string& link : ice_server_links(d.webrtc.ice_servers))
    res.insert(http::field::link, link);
  res.body() = std::move(answer->sdp);
  co_await w.send(std::move(res));
}

asio::awaitable<void> whip_delete(WhipRouteDeps d, Request& req, ResponseWriter& w) {
  auto owner = authorize(d, req);
  if (!owner.ok()) co_return co_await send_error(w, owner.error());
  Status s = d.streams->end_session(*owner, req.param("id"), req.param("session"));
  if (!s.ok()) co_return co_await send_error(w, s.error());
  Response res{http::status::ok, req.message.version()};
  co_await w.send(std::move(res));
}


}  // namespace

void add_whip_routes(Router& router, const WhipRouteDeps& deps) {
  // The publish token, not an API key, authorizes these (checked in the handlers).
  const RouteOptions token_auth{.auth = false};
  router.add(http::verb::post, "/v1/streams/{id}/whip", bind_route(deps, whip_publish), token_auth);
  router.add(http::verb::delete_, "/v1/streams/{id}/whip/{session}", bind_route(deps, whip_delete),
             token_auth);
}

}  // namespace sl::api
