// An in-process HTTP upstream for backend tests, listening on 127.0.0.1:0 on the test's own
// io_context. Each accepted connection reads one request and hands the socket to the test's
// script, which writes raw bytes (so it can split SSE events and HTTP chunks anywhere, stall,
// or wait for the client to hang up).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sl::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

using ServerRequest = http::request<http::string_body>;
using ServerScript = std::function<asio::awaitable<void>(tcp::socket&, const ServerRequest&)>;

class TestServer {
 public:
  TestServer(asio::io_context& io, ServerScript script)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        port_(acceptor_.local_endpoint().port()),
        script_(std::move(script)) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }

  unsigned short port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/v1"; }
  // Stops accepting; connections in progress finish their scripts.
  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

  std::vector<ServerRequest> requests;

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    ServerRequest request;
    auto [ec, n] = co_await http::async_read(socket, buffer, request, asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) co_return;
    requests.push_back(request);
    co_await script_(socket, requests.back());
  }

  tcp::acceptor acceptor_;
  unsigned short port_;
  ServerScript script_;
};

inline asio::awaitable<void> write_raw(tcp::socket& socket, std::string bytes) {
  co_await asio::async_write(socket, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
}

// Waits until the client closes the connection; true when it did (EOF or reset).
inline asio::awaitable<bool> wait_for_hangup(tcp::socket& socket) {
  char scratch[256];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) co_return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
}

inline std::string http_response(int status, std::string_view content_type, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         std::string(body);
}

// One HTTP/1.1 chunk of a chunked body.
inline std::string http_chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

constexpr std::string_view kSseHeader =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
    "Connection: close\r\n\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace sl::testing
