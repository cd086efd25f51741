// The SSRF-safe fetcher against in-process servers on 127.0.0.1: refused by default (loopback),
// allowed by the operator's policy, size/time/redirect limits, https with peer verification and
// SNI; and data: URL decoding.
#include "refs/url_fetcher.hpp"

#include <gtest/gtest.h>

#include "fakes/self_signed_cert.hpp"
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sl {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// ---- a scripted HTTP server -------------------------------------------------------------

using Request = http::request<http::string_body>;
using Script = std::function<asio::awaitable<void>(tcp::socket&, const Request&)>;

class TestServer {
 public:
  TestServer(asio::io_context& io, Script script)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        script_(std::move(script)) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }

  std::vector<Request> requests;

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    Request request;
    auto [ec, n] = co_await http::async_read(socket, buffer, request, use_tuple);
    (void)n;
    if (ec) co_return;
    requests.push_back(request);
    co_await script_(socket, request);  // the frame's own copy: `requests` may grow meanwhile
  }

  tcp::acceptor acceptor_;
  Script script_;
};

asio::awaitable<void> write_raw(tcp::socket& socket, std::string bytes) {
  co_await asio::async_write(socket, asio::buffer(bytes), use_tuple);
}

// Waits until the client hangs up.
asio::awaitable<void> wait_for_hangup(tcp::socket& socket) {
  char scratch[256];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(scratch), use_tuple);
    (void)n;
    if (ec) co_return;
  }
}

std::string response(int status, std::string_view body, std::string_view extra_headers = {}) {
  return "HTTP/1.1 " + std::to_string(status) + " Status\r\nContent-Type: video/mp4\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n" + std::string(extra_headers) +
         "Connection: close\r\n\r\n" + std::string(body);
}

std::string redirect(int status, std::string_view location) {
  return response(status, "", "Location: " + std::string(location) + "\r\n");
}

// Not a coroutine lambda: the bytes are copied into write_raw's frame, so a script still
// finishing after its server was destroyed reads nothing of the server.
Script answer(std::string bytes) {
  return [bytes](tcp::socket& s, const Request&) { return write_raw(s, bytes); };
}

// Runs one fetch on `io` to completion; servers left waiting are abandoned with the io_context.
Result<FetchedMedia> run_fetch(asio::io_context& io, std::string url, FetchPolicy policy) {
  std::optional<Result<FetchedMedia>> result;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    result = co_await fetch_url(url, policy);
    io.stop();
  }, asio::detached);
  io.restart();
  io.run();
  if (!result) return make_error(ErrorCode::internal, "the fetch did not finish");
  return std::move(*result);
}

FetchPolicy local_allowed() {
  FetchPolicy p;
  p.allow_private = true;
  p.timeout_ms = 5000;
  return p;
}

std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }

// ---- refusals before any connection -----------------------------------------------------

TEST(FetchUrl, LoopbackIsRefusedByDefault) {
  asio::io_context io;
  TestServer server(io, answer(response(200, "video")));
  auto r = run_fetch(io, server.url("/clip.mp4"), FetchPolicy{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_EQ(r.error().message,
            "refused: address 127.0.0.1 is loopback; set fetch.allow_private to allow");
  EXPECT_TRUE(server.requests.empty());
}

TEST(FetchUrl, LoopbackInOtherSpellingsIsRefused) {
  asio::io_context io;
  TestServer server(io, answer(response(200, "video")));
  const std::string port = std::to_string(server.port());
  for (const std::string& url :
       {"http://[::ffff:127.0.0.1]:" + port + "/", "http://[::1]:" + port + "/",
        "http://localhost:" + port + "/", "http://LocalHost:" + port + "/",
        "http://127.1:" + port + "/", "http://2130706433:" + port + "/",
        "http://0x7f000001:" + port + "/", "http://0.0.0.0:" + port + "/"}) {
    auto r = run_fetch(io, url, FetchPolicy{});
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request) << url << ": " << r.error().message;
    EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(server.requests.empty());
}

TEST(FetchUrl, MetadataIsRefusedEvenWithAllowPrivate) {
  asio::io_context io;
  for (const char* url : {"http://169.254.169.254/latest/meta-data/",
                          "http://metadata.google.internal/computeMetadata/v1/",
                          "http://[fd00:ec2::254]/latest/meta-data/"}) {
    auto r = run_fetch(io, url, local_allowed());
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
    EXPECT_NE(r.error().message.find("metadata"), std::string::npos) << r.error().message;
  }
}

TEST(FetchUrl, MalformedAndForbiddenUrlsAreRefused) {
  asio::io_context io;
  for (const char* url :
       {"ftp://example.com/a.mp4", "file:///etc/passwd", "gopher://example.com/",
        "http://user:pass@example.com/a.mp4", "http://user@example.com/", "http://example.com:0/",
        "http://example.com:65536/", "http://example.com:99999999/", "http:///nohost",
        "not a url", "/relative/path", "http://exa%6Dple.com/", "http://[v1.x]/"}) {
    auto r = run_fetch(io, url, local_allowed());
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request) << url << ": " << r.error().message;
  }
}

TEST(FetchUrl, BadPolicyIsAnError) {
  asio::io_context io;
  FetchPolicy p;
  p.allow_cidrs = {"10.0.0.0/99"};
  auto r = run_fetch(io, "http://127.0.0.1:9/", p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("allow_cidrs"), std::string::npos);
}

// ---- fetching ---------------------------------------------------------------------------

TEST(FetchUrl, AllowPrivateFetchesWithHostHeader) {
  asio::io_context io;
  TestServer server(io, answer(response(200, "video bytes")));
  auto r = run_fetch(io, server.url("/clip.mp4?x=1#frag"), local_allowed());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->bytes), "video bytes");
  EXPECT_EQ(r->content_type, "video/mp4");
  EXPECT_EQ(r->final_url, server.url("/clip.mp4?x=1"));
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method(), http::verb::get);
  EXPECT_EQ(server.requests[0].target(), "/clip.mp4?x=1");
  EXPECT_EQ(server.requests[0][http::field::host], "127.0.0.1:" + std::to_string(server.port()));
}

TEST(FetchUrl, AllowCidrsFetchesTheListedAddressOnly) {
  asio::io_context io;
  TestServer server(io, answer(response(200, "ok")));
  FetchPolicy p;
  p.allow_cidrs = {"127.0.0.1/32"};
  auto r = run_fetch(io, server.url("/"), p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->bytes), "ok");
  // localhost also resolves to ::1 on most hosts; only 127.0.0.1 may be connected to.
  r = run_fetch(io, "http://localhost:" + std::to_string(server.port()) + "/", p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[1][http::field::host], "localhost:" + std::to_string(server.port()));
}

TEST(FetchUrl, BodyUntilCloseAndChunkedBodiesAreRead) {
  asio::io_context io;
  TestServer until_close(io, answer("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"));
  auto r = run_fetch(io, until_close.url("/"), local_allowed());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->bytes), "all of it");
  EXPECT_EQ(r->content_type, "");

  TestServer chunked(io, answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"));
  r = run_fetch(io, chunked.url("/"), local_allowed());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->bytes), "abcdefg");
}

TEST(FetchUrl, ContentLengthOverTheLimitFailsBeforeTheBody) {
  asio::io_context io;
  // Announces 1000 bytes, sends none, and waits: only the header can end the fetch.
  TestServer server(io, [](tcp::socket& s, const Request&) -> asio::awaitable<void> {
    co_await write_raw(s, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    co_await wait_for_hangup(s);
  });
  FetchPolicy p = local_allowed();
  p.max_bytes = 999;
  auto r = run_fetch(io, server.url("/big"), p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::payload_too_large);
  EXPECT_NE(r.error().message.find("999"), std::string::npos) << r.error().message;
}

TEST(FetchUrl, BodyExactlyAtTheLimitIsFine) {
  asio::io_context io;
  TestServer server(io, answer(response(200, std::string(1000, 'x'))));
  FetchPolicy p = local_allowed();
  p.max_bytes = 1000;
  auto r = run_fetch(io, server.url("/"), p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bytes.size(), 1000u);
}

TEST(FetchUrl, ChunkedBodyOverTheLimitIsAborted) {
  asio::io_context io;
  // Chunks without end: the client must stop reading by itself.
  TestServer server(io, [](tcp::socket& s, const Request&) -> asio::awaitable<void> {
    co_await write_raw(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "400\r\n" + std::string(1024, 'x') + "\r\n";
    for (;;) {
      auto [ec, n] = co_await asio::async_write(s, asio::buffer(chunk), use_tuple);
      (void)n;
      if (ec) co_return;
    }
  });
  FetchPolicy p = local_allowed();
  p.max_bytes = 64 * 1024;
  auto r = run_fetch(io, server.url("/stream"), p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::payload_too_large);
}

TEST(FetchUrl, SilentServerTimesOut) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const Request&) -> asio::awaitable<void> {
    co_await wait_for_hangup(s);
  });
  FetchPolicy p = local_allowed();
  p.timeout_ms = 200;
  auto r = run_fetch(io, server.url("/"), p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::upstream_timeout);
  EXPECT_NE(r.error().message.find("200 ms"), std::string::npos) << r.error().message;
}

TEST(FetchUrl, SlowBodyCountsAgainstTheSameTotalTimeout) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const Request&) -> asio::awaitable<void> {
    co_await write_raw(s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    co_await wait_for_hangup(s);
  });
  FetchPolicy p = local_allowed();
  p.timeout_ms = 200;
  auto r = run_fetch(io, server.url("/"), p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::upstream_timeout);
}

TEST(FetchUrl, ClosedPortIsUnavailable) {
  asio::io_context io;
  unsigned short port = 0;
  {
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  auto r = run_fetch(io, "http://127.0.0.1:" + std::to_string(port) + "/", local_allowed());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::upstream_unavailable) << r.error().message;
}

TEST(FetchUrl, ErrorStatusIsInvalidRequestWithTheStatus) {
  asio::io_context io;
  TestServer server(io, answer(response(404, "no such video")));
  auto r = run_fetch(io, server.url("/missing.mp4"), local_allowed());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("HTTP 404"), std::string::npos) << r.error().message;
}

// ---- redirects --------------------------------------------------------------------------

TEST(FetchUrl, RelativeRedirectIsFollowed) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const Request& req) -> asio::awaitable<void> {
    if (req.target() == "/old") {
      co_await write_raw(s, redirect(301, "/media/new.mp4"));
    } else if (req.target() == "/media/new.mp4") {
      co_await write_raw(s, redirect(307, "other.mp4?v=2"));
    } else {
      co_await write_raw(s, response(200, std::string(req.target())));
    }
  });
  auto r = run_fetch(io, server.url("/old"), local_allowed());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->bytes), "/media/other.mp4?v=2");
  EXPECT_EQ(r->final_url, server.url("/media/other.mp4?v=2"));
  EXPECT_EQ(server.requests.size(), 3u);
}

TEST(FetchUrl, RedirectToADisallowedAddressIsRefused) {
  asio::io_context io;
  for (const char* target : {"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x",
                             "http://[::1]/x", "http://127.0.0.2/x"}) {
    TestServer server(io, answer(redirect(302, target)));
    // Only the first hop's address is allowed.
    FetchPolicy p;
    p.allow_cidrs = {"127.0.0.1/32"};
    p.timeout_ms = 5000;
    auto r = run_fetch(io, server.url("/start"), p);
    ASSERT_FALSE(r.ok()) << target;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
    EXPECT_NE(r.error().message.find("refused: address"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("after a redirect"), std::string::npos) << r.error().message;
  }
}

TEST(FetchUrl, RedirectToAnotherSchemeIsRefused) {
  asio::io_context io;
  TestServer server(io, answer(redirect(302, "file:///etc/passwd")));
  auto r = run_fetch(io, server.url("/"), local_allowed());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("only http and https"), std::string::npos) << r.error().message;
}

TEST(FetchUrl, RedirectLoopIsCapped) {
  asio::io_context io;
  TestServer server(io, answer(redirect(302, "/loop")));
  FetchPolicy p = local_allowed();
  p.max_redirects = 3;
  auto r = run_fetch(io, server.url("/loop"), p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("too many redirects"), std::string::npos) << r.error().message;
  EXPECT_EQ(server.requests.size(), 4u);  // the request and three redirects

  p.max_redirects = 0;
  server.requests.clear();
  r = run_fetch(io, server.url("/loop"), p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server.requests.size(), 1u);
}

TEST(FetchUrl, RedirectWithoutLocationIsAnError) {
  asio::io_context io;
  TestServer server(io, answer(response(302, "")));
  auto r = run_fetch(io, server.url("/"), local_allowed());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
}

// ---- https ------------------------------------------------------------------------------

// A self-signed certificate for 127.0.0.1 and localhost, as (cert PEM, key PEM).
std::pair<std::string, std::string> make_self_signed() {
  auto pem = sl::testing::make_self_signed();
  return {pem.cert_pem, pem.key_pem};
}

// Serves https on 127.0.0.1: one fixed answer per connection; records the SNI name.
class TlsServer {
 public:
  TlsServer(asio::io_context& io, const std::string& cert_pem, const std::string& key_pem)
      : context_(ssl::context::tls_server),
        acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    context_.use_certificate_chain(asio::buffer(cert_pem));
    context_.use_private_key(asio::buffer(key_pem), ssl::context::pem);
    asio::co_spawn(io, accept_loop(), asio::detached);
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  std::vector<std::string> server_names;  // SNI of each completed handshake ("" when none)
  int requests = 0;

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket socket) {
    ssl::stream<tcp::socket> stream(std::move(socket), context_);
    auto [hs_ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (hs_ec) co_return;
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    server_names.push_back(sni != nullptr ? sni : "");
    boost::beast::flat_buffer buffer;
    Request request;
    auto [ec, n] = co_await http::async_read(stream, buffer, request, use_tuple);
    (void)n;
    if (ec) co_return;
    ++requests;
    const std::string answer = response(200, "secure video");
    co_await asio::async_write(stream, asio::buffer(answer), use_tuple);
    co_await stream.async_shutdown(use_tuple);
  }

  ssl::context context_;
  tcp::acceptor acceptor_;
};

// Points OpenSSL's default trust store (what set_default_verify_paths loads) at one file for
// the life of the object.
class TrustOnly {
 public:
  explicit TrustOnly(const std::string& cert_pem) {
    std::string tmpl = (fs::temp_directory_path() / "sl-fetch-ca-XXXXXX").string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) std::abort();
    std::FILE* f = ::fdopen(fd, "w");
    std::fwrite(cert_pem.data(), 1, cert_pem.size(), f);
    std::fclose(f);
    path_ = tmpl;
    if (const char* old = std::getenv("SSL_CERT_FILE")) old_ = old;
    ::setenv("SSL_CERT_FILE", path_.c_str(), 1);
  }
  ~TrustOnly() {
    if (old_) ::setenv("SSL_CERT_FILE", old_->c_str(), 1);
    else ::unsetenv("SSL_CERT_FILE");
    fs::remove(path_);
  }

 private:
  std::string path_;
  std::optional<std::string> old_;
};

TEST(FetchUrlTls, UntrustedCertificateIsRefused) {
  asio::io_context io;
  auto [cert, key] = make_self_signed();
  TlsServer server(io, cert, key);
  auto r = run_fetch(io, "https://127.0.0.1:" + std::to_string(server.port()) + "/v.mp4",
                     local_allowed());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::upstream_unavailable);
  EXPECT_NE(r.error().message.find("TLS"), std::string::npos) << r.error().message;
  EXPECT_EQ(server.requests, 0);
}

TEST(FetchUrlTls, TrustedCertificateWorksWithSni) {
  asio::io_context io;
  auto [cert, key] = make_self_signed();
  TlsServer server(io, cert, key);
  TrustOnly trust(cert);
  auto r = run_fetch(io, "https://localhost:" + std::to_string(server.port()) + "/v.mp4",
                     local_allowed());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->bytes), "secure video");
  ASSERT_EQ(server.server_names.size(), 1u);
  EXPECT_EQ(server.server_names[0], "localhost");

  // An address literal is checked against the certificate's IP name and sends no SNI.
  r = run_fetch(io, "https://127.0.0.1:" + std::to_string(server.port()) + "/v.mp4",
                local_allowed());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(server.server_names.size(), 2u);
  EXPECT_EQ(server.server_names[1], "");
}

TEST(FetchUrlTls, LoopbackHttpsIsRefusedByDefault) {
  asio::io_context io;
  auto [cert, key] = make_self_signed();
  TlsServer server(io, cert, key);
  auto r = run_fetch(io, "https://127.0.0.1:" + std::to_string(server.port()) + "/", FetchPolicy{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_TRUE(server.server_names.empty());
}

// ---- data: URLs -------------------------------------------------------------------------

TEST(DataUrl, DecodesBase64AndPercentEncoding) {
  struct Case {
    const char* url;
    const char* want;
  };
  for (const Case& c : {Case{"data:image/png;base64,aGVsbG8=", "hello"},
                        Case{"data:;base64,aGVsbG8", "hello"},
                        Case{"DATA:video/mp4;BASE64,aGk=", "hi"},
                        Case{"data:image/png;base64,aGVs\r\nbG8=", "hello"},
                        Case{"data:image/png;base64,aGVsbG8%3D", "hello"},
                        Case{"data:,hello%20world", "hello world"},
                        Case{"data:text/plain;charset=utf-8,a%2Cb,c", "a,b,c"},
                        Case{"data:,", ""}, Case{"data:;base64,", ""}}) {
    auto r = decode_data_url(c.url, 1024);
    ASSERT_TRUE(r.ok()) << c.url << ": " << r.error().message;
    EXPECT_EQ(text(*r), c.want) << c.url;
  }
  auto binary = decode_data_url("data:application/octet-stream,%00%FF%7f", 16);
  ASSERT_TRUE(binary.ok());
  EXPECT_EQ(*binary, (Bytes{0x00, 0xFF, 0x7F}));
}

TEST(DataUrl, MalformedIsInvalidRequest) {
  for (const char* url : {"data:image/png;base64", "http://example.com/a.png", "dat:,x",
                          "data:;base64,a$bc", "data:;base64,abcde", "data:,%zz", "data:,%4",
                          "data:,abc%", "data:;base64,%zz"}) {
    auto r = decode_data_url(url, 1024);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request) << url;
  }
}

TEST(DataUrl, SizeLimitIsExact) {
  EXPECT_TRUE(decode_data_url("data:;base64,aGVsbG8=", 5).ok());
  EXPECT_EQ(decode_data_url("data:;base64,aGVsbG8=", 4).error().code,
            ErrorCode::payload_too_large);
  EXPECT_EQ(decode_data_url("data:;base64,aGVsbG8", 4).error().code,
            ErrorCode::payload_too_large);
  EXPECT_TRUE(decode_data_url("data:,abc%20", 4).ok());
  EXPECT_EQ(decode_data_url("data:,abc%20d", 4).error().code, ErrorCode::payload_too_large);
  // Large payloads are refused from their length, before decoding.
  const std::string big = "data:;base64," + std::string(4 * 1024 * 1024, 'A');
  auto r = decode_data_url(big, 1024 * 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::payload_too_large);
  EXPECT_NE(r.error().message.find("1048576"), std::string::npos);
}

}  // namespace
}  // namespace sl
