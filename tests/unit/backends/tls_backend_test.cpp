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

#include "test_jpegs.hpp"

namespace sl {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

struct SelfSigned {
  std::string cert_pem;
  std::string key_pem;
};

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

SelfSigned make_self_signed() {
  std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, Free<X509, X509_free>> cert(X509_new());
  if (!key || !cert) std::abort();
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sightline test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) std::abort();
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) std::abort();
  std::unique_ptr<BIO, Free<BIO, BIO_free_all>> cert_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, Free<BIO, BIO_free_all>> key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return SelfSigned{bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

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
  const SelfSigned pem = make_self_signed();
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
