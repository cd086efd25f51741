// An HTTP/1.1 server on 127.0.0.1:0 for net's tests, plain or TLS (a self-signed certificate made
// in memory), on the test's own io_context. It keeps connections open across requests and counts
// what the client did: connections accepted (TLS: handshakes completed), requests read on each.
// The test's responder decides per request what bytes go back and what happens next (keep the
// connection, close it, or hold it until the client hangs up), so a test can make any
// connection stale, half-answered or silent at an exact point, without timing.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "fakes/self_signed_cert.hpp"

namespace sl::net::testing {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

inline constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

using ServerRequest = http::request<http::string_body>;

struct Reply {
  enum class Then { keep_open, close, hold };
  std::string bytes;
  Then then = Then::keep_open;
};

// connection: 0, 1, ... in accept order; nth: the request's index on its connection.
using Responder = std::function<Reply(const ServerRequest&, int connection, int nth)>;

inline std::string ok_response(std::string_view body, std::string_view extra_headers = {}) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "\r\n" + std::string(body);
}

class LoopbackServer {
 public:
  // tls: serve https with a fresh self-signed certificate for 127.0.0.1 and localhost.
  LoopbackServer(asio::io_context& io, Responder responder, bool tls = false)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        responder_(std::move(responder)) {
    if (tls) {
      pem_ = sl::testing::make_self_signed();
      context_.emplace(ssl::context::tls_server);
      context_->use_certificate_chain(asio::buffer(pem_.cert_pem));
      context_->use_private_key(asio::buffer(pem_.key_pem), ssl::context::pem);
    }
    asio::co_spawn(io, accept_loop(), asio::detached);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  const std::string& cert_pem() const { return pem_.cert_pem; }

  int accepted = 0;                    // connections (TLS: completed handshakes)
  std::vector<int> requests_per_conn;  // requests read on each connection
  std::vector<std::string> sni;        // TLS: server name of each handshake ("" when none)
  int hangups_seen = 0;                // held connections the client closed

  int requests() const {
    int n = 0;
    for (int r : requests_per_conn) n += r;
    return n;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    if (!context_) {
      co_await serve_stream(socket);
      co_return;
    }
    ssl::stream<tcp::socket> stream(std::move(socket), *context_);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
    if (ec) co_return;  // the client refused the certificate
    const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    sni.push_back(name != nullptr ? name : "");
    co_await serve_stream(stream);
  }

  template <class Stream>
  asio::awaitable<void> serve_stream(Stream& stream) {
    const int index = accepted++;
    requests_per_conn.push_back(0);
    boost::beast::flat_buffer buffer;
    for (int nth = 0;; ++nth) {
      ServerRequest request;
      auto [ec, n] = co_await http::async_read(stream, buffer, request, kTuple);
      (void)n;
      if (ec) co_return;  // the client closed the connection
      ++requests_per_conn[static_cast<size_t>(index)];
      const Reply reply = responder_(request, index, nth);
      if (!reply.bytes.empty()) {
        auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(reply.bytes), kTuple);
        (void)wn;
        if (wec) co_return;
      }
      if (reply.then == Reply::Then::close) {
        boost::system::error_code ignored;
        get_lowest(stream).shutdown(tcp::socket::shutdown_both, ignored);
        get_lowest(stream).close(ignored);
        co_return;
      }
      if (reply.then == Reply::Then::hold) {
        char scratch[256];
        for (;;) {
          auto [rec, rn] = co_await stream.async_read_some(asio::buffer(scratch), kTuple);
          (void)rn;
          if (rec) break;
        }
        ++hangups_seen;
        co_return;
      }
    }
  }

  static tcp::socket& get_lowest(tcp::socket& s) { return s; }
  static tcp::socket& get_lowest(ssl::stream<tcp::socket>& s) { return s.next_layer(); }

  tcp::acceptor acceptor_;
  Responder responder_;
  sl::testing::SelfSigned pem_;
  std::optional<ssl::context> context_;
};

}  // namespace sl::net::testing
