// The handler interface of the HTTP layer. A Handler is a coroutine that gets the parsed
// Request (with route parameters and the authenticated owner filled in) and a ResponseWriter.
// It answers either with one complete response (send) or with a streamed, chunked one
// (begin_stream / write / end, for SSE and long outputs). The writer reports whether the client
// is still there; when the client disconnects while a handler runs, the handler's coroutine is
// also cancelled (its pending co_await throws operation_aborted), so a handler waiting on a slow
// backend stops without polling. A handler may instead hand the connection over to another
// protocol (upgrade(), used for WebSocket): the transport then stops speaking HTTP on it once
// the handler returns.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace sl::api {

namespace asio = boost::asio;
namespace http = boost::beast::http;

using Response = http::response<http::string_body>;
using HeaderList = std::vector<std::pair<std::string, std::string>>;
// Takes over an upgraded connection: its socket (whose executor is the connection's strand) and
// the request that asked for the upgrade.
using UpgradeFn =
    std::function<void(asio::ip::tcp::socket socket, http::request<http::string_body> request)>;

struct Request {
  http::request<http::string_body> message;
  std::string path;                           // target before '?', as sent (not decoded)
  std::string query;                          // target after '?', raw; empty when none
  std::string route;                          // matched pattern, e.g. "/v1/streams/{id}"
  std::map<std::string, std::string> params;  // values of the pattern's {name} segments
  std::string owner;                          // authenticated owner id ("anonymous" if no auth)
  int64_t received_wall_ms = 0;               // when the header arrived: "now" for references
  std::string request_id;

  // The value of a route parameter, or "" when the pattern has no such segment.
  const std::string& param(const std::string& name) const;
  http::verb method() const { return message.method(); }
};

// How a handler answers. Methods return false when nothing could be written (client gone,
// write timeout, or a call out of order such as send() after a response was sent).
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // One complete response; Content-Length is computed from the body.
  asio::awaitable<bool> send(Response response);
  // A chunked response: the header now, then any number of write()s, then end().
  asio::awaitable<bool> begin_stream(http::status status, HeaderList headers);
  asio::awaitable<bool> write(std::string_view chunk);
  asio::awaitable<bool> end();

  // Protocol upgrade: once the handler returns, the transport stops HTTP on this connection and
  // calls `take` on the connection's strand; whoever takes it answers the upgrade (101 counts as
  // the status sent). False, and `take` is dropped, when a response has started, the client is
  // gone or the transport cannot hand connections over.
  bool upgrade(UpgradeFn take);
  // For the transport: the pending upgrade, if a handler asked for one (taken once).
  UpgradeFn take_upgrade();

  // Added to whatever response is sent later (used by the pipeline for CORS, request ids).
  void add_header(std::string name, std::string value);

  // True once the client is known to be gone (disconnect seen or a write failed).
  bool client_gone() const { return gone_ || transport_gone(); }
  // A response (or a stream's header) has been sent.
  bool started() const { return state_ != State::idle; }
  // The whole response went out (send() succeeded, or end() after begin_stream()).
  bool completed() const { return state_ == State::done; }
  // The status of the response sent, 0 if none.
  unsigned status() const { return status_; }

 protected:
  virtual asio::awaitable<bool> transport_send(Response& response) = 0;
  virtual asio::awaitable<bool> transport_begin(http::response<http::empty_body>& header) = 0;
  virtual asio::awaitable<bool> transport_chunk(std::string_view chunk) = 0;
  virtual asio::awaitable<bool> transport_end() = 0;
  virtual bool transport_gone() const = 0;
  virtual bool transport_can_upgrade() const { return false; }

 private:
  enum class State { idle, streaming, done, failed, upgraded };
  State state_ = State::idle;
  bool gone_ = false;
  unsigned status_ = 0;
  HeaderList extra_;
  UpgradeFn upgrade_;
};

using Handler = std::function<asio::awaitable<void>(Request&, ResponseWriter&)>;

}  // namespace sl::api
