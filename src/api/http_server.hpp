// HttpServer: HTTP/1.1 on Boost.Beast with C++20 coroutines. One coroutine per connection,
// each on its own strand, so a single io_context may be run by any number of threads. It owns
// the transport rules (keep-alive, timeouts, size limits, connection cap, graceful stop) and
// hands every complete request to one Handler (normally the api pipeline). A slow or vanished
// client only ever ends its own connection. A handler that asks for a protocol upgrade
// (ResponseWriter::upgrade, for WebSocket) gets the socket once it returns; from then on the
// connection is no longer the server's (not counted, not closed by stop()).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "api/http_types.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"

namespace sl::api {

struct ServerLimits {
  size_t max_body_bytes = 64ull << 20;   // larger bodies: 413 payload_too_large
  size_t max_header_bytes = 32u << 10;   // larger headers: 431
  int max_connections = 1024;            // beyond: 503 and close
  int64_t header_timeout_ms = 10'000;    // from connection start / first byte to end of header
  int64_t body_timeout_ms = 60'000;      // to read the whole body
  int64_t idle_timeout_ms = 30'000;      // keep-alive wait for the next request
  int64_t write_timeout_ms = 30'000;     // per write; a client that stops reading is dropped
};

class HttpServer {
 public:
  HttpServer(asio::io_context& ioc, ServerLimits limits, Handler handler, const Clock& clock);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (port 0: any free port). Returns the bound endpoint. Errors: internal
  // with the OS message (address in use, bad address, ...).
  Result<asio::ip::tcp::endpoint> listen(const std::string& host, uint16_t port);
  // Starts accepting on the io_context.
  void start();
  // Graceful stop: stop accepting, close idle connections, let requests in flight finish within
  // `grace` (their responses carry Connection: close), then close whatever is left. Completes
  // when every connection has ended.
  asio::awaitable<void> stop(std::chrono::milliseconds grace);

  bool stopping() const;
  size_t active_connections() const;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace sl::api
