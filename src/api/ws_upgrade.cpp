#include "api/ws_upgrade.hpp"

#include <memory>
#include <utility>

#include <boost/beast/websocket/rfc6455.hpp>

#include "api/error_response.hpp"
#include "api/ws_session.hpp"

namespace sl::api {

asio::awaitable<void> upgrade_websocket(const WsRoute& route, Request& req, ResponseWriter& writer,
                                        const KeyRing& keys, WsSessions& sessions) {
  if (!boost::beast::websocket::is_upgrade(req.message)) {
    auto res = error_response_for(req, 426, "invalid_request_error", "upgrade_required",
                                  "This is a WebSocket endpoint: connect with 'Upgrade: websocket'.");
    res.set(http::field::upgrade, "websocket");
    co_await writer.send(std::move(res));
    co_return;
  }
  if (sessions.stopping()) {
    co_await writer.send(error_response_for(req, 503, "server_error", "shutting_down",
                                            "The server is shutting down."));
    co_return;
  }

  // A header, when given, decides; without one the route may take the key as the first message.
  const auto authorization = req.message[http::field::authorization];
  const KeyRing* first_message_keys = nullptr;
  std::string owner;
  if (!authorization.empty() || !route.options.first_message_auth) {
    auto authenticated = keys.authenticate(std::string_view(authorization.data(), authorization.size()));
    if (!authenticated.ok()) {
      auto res = error_response_for(req, authenticated.error());
      res.set(http::field::www_authenticate, "Bearer");
      co_await writer.send(std::move(res));
      co_return;
    }
    owner = std::move(*authenticated);
  } else {
    first_message_keys = &keys;
  }
  req.owner = owner;

  auto slot = sessions.reserve(owner);
  if (!slot.ok()) {
    co_await writer.send(error_response_for(req, slot.error()));
    co_return;
  }

  // std::function needs a copyable callable; the slot inside is move-only.
  auto start = std::make_shared<WsStart>();
  start->settings = sessions.settings();
  start->slot = std::move(*slot);
  start->open.owner = owner;
  start->open.params = req.params;
  start->open.route = req.route;
  start->open.query = req.query;
  start->open.request_id = req.request_id;
  start->handler = route.handler;
  start->first_message_keys = first_message_keys;
  const bool handed_over =
      writer.upgrade([start](asio::ip::tcp::socket socket, http::request<http::string_body> request) {
        WsSession::start(std::move(socket), std::move(request), std::move(*start));
      });
  if (!handed_over)
    co_await writer.send(error_response_for(
        req, make_error(ErrorCode::internal, "This connection cannot be upgraded to a WebSocket.")));
}

}  // namespace sl::api
