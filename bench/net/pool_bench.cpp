// Sequential backend-style requests (POST of a 2 KiB JSON body, 1 KiB JSON answer) to a loopback
// TLS server, over net's keep-alive pool and over a new connection each time (pool keeping
// nothing idle: TCP + TLS handshake per request, as backends did before the pool), measured in
// the same run. Prints both rates and their ratio. Not a test: nothing fails on a figure.
//   build/net_pool_bench [requests]   (default 500)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "fakes/self_signed_cert.hpp"
#include "net/http_client.hpp"

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Answers every request on a connection with the same JSON, keep-alive as the client asks.
asio::awaitable<void> serve(tcp::socket socket, ssl::context& ctx, std::string answer) {
  ssl::stream<tcp::socket> stream(std::move(socket), ctx);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
  if (hec) co_return;
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, kTuple);
    (void)n;
    if (ec) co_return;
    http::response<http::string_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = answer;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    (void)wn;
    if (wec || !req.keep_alive()) co_return;
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, ssl::context& ctx, std::string answer) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), ctx, answer), asio::detached);
  }
}

// Seconds for `n` sequential requests through `client`.
double run_requests(const sl::net::HttpClient& client, const sl::net::Request& proto, int n,
                    int& failures) {
  asio::io_context io;
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < n; ++i) {
      auto exchange = co_await client.start(proto);
      if (!exchange.ok()) {
        if (failures++ == 0) std::fprintf(stderr, "request failed: %s\n", exchange.error().detail.c_str());
        continue;
      }
      auto body = co_await exchange->read_all(1 << 20);
      if (!body.ok()) ++failures;
    }
  }, asio::detached);
  io.run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 500;
  const auto pem = sl::testing::make_self_signed();
  const std::string ca_path = "/tmp/sl_net_pool_bench_" + std::to_string(::getpid()) + ".pem";
  std::ofstream(ca_path) << pem.cert_pem;

  ssl::context server_ctx(ssl::context::tls_server);
  server_ctx.use_certificate_chain(asio::buffer(pem.cert_pem));
  server_ctx.use_private_key(asio::buffer(pem.key_pem), ssl::context::pem);
  asio::io_context server_io;
  tcp::acceptor acceptor(server_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string answer = "{\"choices\":[{\"message\":{\"content\":\"" + std::string(1000, 'a') + "\"}}]}";
  asio::co_spawn(server_io, accept_loop(acceptor, server_ctx, answer), asio::detached);
  std::thread server_thread([&] { server_io.run(); });

  sl::net::Request proto;
  auto url = sl::net::parse_http_url("https://localhost:" + std::to_string(acceptor.local_endpoint().port()) +
                                     "/v1/chat/completions");
  proto.method = http::verb::post;
  proto.origin = url->origin;
  proto.target = url->target();
  proto.headers.emplace_back(http::field::content_type, "application/json");
  proto.body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + std::string(2000, 'q') + "\"}]}";
  proto.tls.ca_file = ca_path;

  sl::net::PoolSettings fresh_settings;
  fresh_settings.max_idle_per_host = 0;
  auto pooled = sl::net::HttpClient::create(sl::net::ClientOptions{sl::net::PoolSettings{}});
  auto fresh = sl::net::HttpClient::create(sl::net::ClientOptions{fresh_settings});
  int failures = 0;
  // Warm-up (TLS contexts, CA loading, first connection) outside the measurement.
  run_requests(*pooled, proto, 5, failures);
  run_requests(*fresh, proto, 5, failures);
  const double fresh_s = run_requests(*fresh, proto, n, failures);
  const double pooled_s = run_requests(*pooled, proto, n, failures);

  std::printf("net pool bench: %d sequential POSTs (2 KiB JSON in, 1 KiB out) to a loopback TLS server\n", n);
  std::printf("  fresh connection each request: %8.1f req/s  (%.3f ms/request)\n", n / fresh_s, 1e3 * fresh_s / n);
  std::printf("  keep-alive pool:               %8.1f req/s  (%.3f ms/request)\n", n / pooled_s, 1e3 * pooled_s / n);
  std::printf("  ratio pooled/fresh throughput: %.1fx  (connections opened by the pool: %lld)\n",
              fresh_s / pooled_s, static_cast<long long>(pooled->pool_stats().opened));
  if (failures > 0) std::printf("  FAILED requests: %d\n", failures);

  acceptor.close();
  server_io.stop();
  server_thread.join();
  std::remove(ca_path.c_str());
  return failures > 0 ? 1 : 0;
}
