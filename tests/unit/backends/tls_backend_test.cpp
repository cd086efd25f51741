// https upstreams: a TLS test server with a certificate made on the fly (for 127.0.0.1), trusted
// by the client through ca_file; without it the peer check must fail.
#include "backends/openai_http_backend.hpp"

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "fakes/self_signed_cert.hpp"

#include "test_jpegs.hpp"

namespace sl {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

// Serves one TLS connection: one request, a fixed JSON answer.
asio::awaitable<void> serve_tls(tcp::acceptor& acceptor, ssl::context& ctx, std::string& seen_target) {
  auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return;
  ssl::stream<tcp::socket> stream(std::move(socket), ctx);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
  if (hec) co_return;  // the client refused our certificate
  boost::beast::flat_buffer buffer;
  http::request<http::string_body> req;
  auto [rec, n] = co_await http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
  (void)n;
  if (rec) co_return;
  seen_target = std::string(req.target());
  http::response<http::string_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = R"({"object":"chat.completion","model":"m","choices":[{"index":0,)"
               R"("message":{"role":"assistant","content":"secure"},"finish_reason":"stop"}]})";
  res.keep_alive(false);
  res.prepare_payload();
  co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
}

struct TlsRun {
  std::optional<Result<json::object>> result;
  std::string seen_target;
};

TlsRun run_against_tls_server(bool trust_server_cert) {
  const testing::SelfSigned pem = testing::make_self_signed();
  // Per process: ctest -j runs the TLS tests side by side, and one must not remove the other's.
  const std::string ca_path =
      ::testing::TempDir() + "sl_backends_tls_ca_" + std::to_string(::getpid()) + ".pem";
  std::ofstream(ca_path) << pem.cert_pem;

  asio::io_context io;
  ssl::context server_ctx(ssl::context::tls_server);
  server_ctx.use_certificate_chain(asio::buffer(pem.cert_pem));
  server_ctx.use_private_key(asio::buffer(pem.key_pem), ssl::context::pem);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));

  HttpBackendConfig c;
  c.model = "m";
  c.base_url = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/api/v1";
  if (trust_server_cert) c.ca_file = ca_path;
  auto backend = OpenAiHttpBackend::create(c);
  EXPECT_TRUE(backend.ok());

  TlsRun run;
  asio::co_spawn(io, serve_tls(acceptor, server_ctx, run.seen_target), asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    ChatCall call;
    call.body = json::parse(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})").as_object();
    run.result = co_await (*backend)->complete(std::move(call));
  }, asio::detached);
  io.run();
  std::remove(ca_path.c_str());
  return run;
}

TEST(OpenAiHttpBackendTls, TrustedCertificateWorks) {
  auto run = run_against_tls_server(true);
  ASSERT_TRUE(run.result && run.result->ok()) << run.result->error().message;
  EXPECT_EQ((*run.result)->at("choices").as_array()[0].at("message").at("content"), "secure");
  EXPECT_EQ(run.seen_target, "/api/v1/chat/completions");
}

TEST(OpenAiHttpBackendTls, UntrustedCertificateIsUpstreamUnavailable) {
  auto run = run_against_tls_server(false);
  ASSERT_TRUE(run.result && !run.result->ok());
  EXPECT_EQ(run.result->error().code, ErrorCode::upstream_unavailable);
  EXPECT_NE(run.result->error().message.find("TLS"), std::string::npos) << run.result->error().message;
  EXPECT_TRUE(run.seen_target.empty());
}

}  // namespace
}  // namespace sl
