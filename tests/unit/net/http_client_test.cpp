// net's HTTP client against a loopback server that counts connections: keep-alive reuse and when
// a connection must not be reused, the single retry of a stale reused connection, the connect
// filter, limits (timeouts, body cap, connections per host), TLS (reuse, SNI, trust), and a
// client that outlives its io_context. Everything runs on one io_context thread; timeouts are
// provoked by servers that never answer, never measured.
#include "net/http_client.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "net/loopback_server.hpp"

namespace sl::net {
namespace {

using testing::LoopbackServer;
using testing::ok_response;
using testing::Reply;
using testing::ServerRequest;
namespace asio = boost::asio;
namespace http = boost::beast::http;

// Runs `body` on `io` until it finishes (servers left waiting are abandoned).
void run(asio::io_context& io, const std::function<asio::awaitable<void>()>& body) {
  bool done = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await body();
    done = true;
    io.stop();
  }, asio::detached);
  io.restart();
  io.run();
  ASSERT_TRUE(done);
}

// Runs handlers until `ready` holds (for what the server sees after the client is done).
void run_until(asio::io_context& io, const std::function<bool()>& ready) {
  io.restart();
  while (!ready()) {
    if (io.run_one() == 0) break;
  }
  EXPECT_TRUE(ready());
}

Request request_to(const std::string& url, Timeouts timeouts = {5000, 5000, 5000, 10000}) {
  auto parsed = parse_http_url(url);
  EXPECT_TRUE(parsed.ok()) << url;
  Request r;
  r.origin = parsed->origin;
  r.target = parsed->target();
  r.timeouts = timeouts;
  return r;
}

std::string url(const LoopbackServer& server, const std::string& path = "/", bool tls = false,
                const std::string& host = "127.0.0.1") {
  return std::string(tls ? "https" : "http") + "://" + host + ":" + std::to_string(server.port()) + path;
}

// start + read_all, the body or the error.
asio::awaitable<Outcome<std::string>> fetch(const HttpClient& client, Request r, size_t cap = 1 << 20) {
  auto exchange = co_await client.start(std::move(r));
  if (!exchange.ok()) co_return exchange.error();
  co_return co_await exchange->read_all(cap);
}

std::shared_ptr<HttpClient> permissive_client(PoolSettings pool = {}) {
  return HttpClient::create(ClientOptions{pool, AddressPolicy::permissive()});
}

Reply echo_target(const ServerRequest& req, int, int) { return {ok_response(std::string(req.target()))}; }

// ---- reuse ----------------------------------------------------------------------------------

TEST(HttpClientPool, SequentialRequestsShareOneConnection) {
  asio::io_context io;
  LoopbackServer server(io, echo_target);
  auto client = permissive_client();
  std::vector<bool> reused;
  run(io, [&]() -> asio::awaitable<void> {
    for (const char* path : {"/a", "/b", "/c"}) {
      auto exchange = co_await client->start(request_to(url(server, path)));
      EXPECT_TRUE(exchange.ok());
      if (!exchange.ok()) co_return;
      reused.push_back(exchange->reused_connection());
      auto body = co_await exchange->read_all(1024);
      EXPECT_TRUE(body.ok());
      EXPECT_EQ(*body, path);
    }
  });
  EXPECT_EQ(server.accepted, 1);
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(reused, (std::vector<bool>{false, true, true}));
  EXPECT_EQ(client->pool_stats().opened, 1);
  EXPECT_EQ(client->pool_stats().reused, 2);
  EXPECT_EQ(client->pool_stats().idle, 1);
}

TEST(HttpClientPool, ConnectionCloseIsNotReused) {
  asio::io_context io;
  LoopbackServer server(io, [](const ServerRequest&, int, int) {
    return Reply{ok_response("bye", "Connection: close\r\n"), Reply::Then::close};
  });
  auto client = permissive_client();
  run(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto body = co_await fetch(*client, request_to(url(server)));
      EXPECT_TRUE(body.ok());
    }
  });
  EXPECT_EQ(server.accepted, 3);
  EXPECT_EQ(client->pool_stats().reused, 0);
  EXPECT_EQ(client->pool_stats().idle, 0);
}

TEST(HttpClientPool, NoKeepAliveWhenThePoolKeepsNothing) {
  asio::io_context io;
  bool saw_close = false;
  LoopbackServer server(io, [&](const ServerRequest& req, int, int) {
    saw_close = !req.keep_alive();
    return Reply{ok_response("x")};
  });
  PoolSettings none;
  none.max_idle_per_host = 0;
  auto client = permissive_client(none);
  run(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE((co_await fetch(*client, request_to(url(server)))).ok());
    EXPECT_TRUE((co_await fetch(*client, request_to(url(server)))).ok());
  });
  EXPECT_TRUE(saw_close);
  EXPECT_EQ(server.accepted, 2);
}

TEST(HttpClientPool, FullyReadStreamIsReusedHalfReadStreamIsNot) {
  asio::io_context io;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n";
  LoopbackServer server(io, [&](const ServerRequest& req, int, int) {
    if (req.target() == "/whole") return Reply{head + "6\r\ndata:1\r\n6\r\ndata:2\r\n0\r\n\r\n"};
    return Reply{head + "6\r\ndata:1\r\n", Reply::Then::hold};  // the rest never comes
  });
  auto client = permissive_client();
  run(io, [&]() -> asio::awaitable<void> {
    auto whole = co_await client->start(request_to(url(server, "/whole")));
    EXPECT_TRUE(whole.ok());
    std::string seen;
    while (whole.ok() && !whole->done()) {
      auto piece = co_await whole->read_some();
      EXPECT_TRUE(piece.ok());
      if (!piece.ok()) co_return;
      seen += *piece;
    }
    EXPECT_EQ(seen, "data:1data:2");
  });
  EXPECT_EQ(client->pool_stats().idle, 1);

  run(io, [&]() -> asio::awaitable<void> {
    auto half = co_await client->start(request_to(url(server, "/half")));
    EXPECT_TRUE(half.ok());
    EXPECT_TRUE(half->reused_connection());
    auto piece = co_await half->read_some();
    while (piece.ok() && piece->empty()) piece = co_await half->read_some();
    EXPECT_TRUE(piece.ok());
    EXPECT_EQ(*piece, "data:1");
    // The consumer goes away here: the exchange is dropped mid-body.
  });
  EXPECT_EQ(client->pool_stats().idle, 0);
  run_until(io, [&] { return server.hangups_seen == 1; });  // the client closed it

  run(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE((co_await fetch(*client, request_to(url(server, "/whole")))).ok());
  });
  EXPECT_EQ(server.accepted, 2);
}

// ---- the one retry --------------------------------------------------------------------------

TEST(HttpClientRetry, StaleReusedConnectionIsRetriedOnceOnAFreshOne) {
  asio::io_context io;
  // The first connection answers once, then reads the next request and hangs up without a byte:
  // what a server whose keep-alive timer ran out does.
  LoopbackServer server(io, [](const ServerRequest& req, int conn, int nth) {
    if (conn == 0 && nth == 1) return Reply{"", Reply::Then::close};
    return Reply{ok_response(req.body())};
  });
  auto client = permissive_client();
  std::optional<bool> retried_on_reused;
  run(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE((co_await fetch(*client, request_to(url(server)))).ok());
    Request post = request_to(url(server, "/chat"));
    post.method = http::verb::post;
    post.body = "{\"n\":1}";
    auto exchange = co_await client->start(std::move(post));
    EXPECT_TRUE(exchange.ok());
    if (!exchange.ok()) co_return;
    retried_on_reused = exchange->reused_connection();
    auto body = co_await exchange->read_all(1024);
    EXPECT_TRUE(body.ok());
    EXPECT_EQ(*body, "{\"n\":1}");
  });
  EXPECT_EQ(retried_on_reused, false);
  EXPECT_EQ(server.accepted, 2);
  EXPECT_EQ(server.requests_per_conn, (std::vector<int>{2, 1}));
  EXPECT_EQ(client->retries(), 1);
}

TEST(HttpClientRetry, NoRetryOnceResponseBytesArrived) {
  asio::io_context io;
  LoopbackServer server(io, [](const ServerRequest&, int conn, int nth) {
    if (conn == 0 && nth == 1) return Reply{"HTTP/1.1 200 OK\r\nContent-Le", Reply::Then::close};
    return Reply{ok_response("ok")};
  });
  auto client = permissive_client();
  run(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE((co_await fetch(*client, request_to(url(server)))).ok());
    Request post = request_to(url(server));
    post.method = http::verb::post;
    post.body = "once";
    auto r = co_await fetch(*client, std::move(post));
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_EQ(r.error().reason, Reason::protocol);
      EXPECT_EQ(r.error().phase, Phase::read_header);
    }
  });
  EXPECT_EQ(server.accepted, 1);
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(client->retries(), 0);
}

TEST(HttpClientRetry, NoRetryOnAFreshConnection) {
  asio::io_context io;
  LoopbackServer server(io, [](const ServerRequest&, int, int) { return Reply{"", Reply::Then::close}; });
  auto client = permissive_client();
  run(io, [&]() -> asio::awaitable<void> {
    auto r = co_await fetch(*client, request_to(url(server)));
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_EQ(r.error().reason, Reason::connection_lost);
    }
  });
  EXPECT_EQ(server.accepted, 1);
  EXPECT_EQ(client->retries(), 0);
}

TEST(HttpClientRetry, ConnectionClosedWhileIdleNeverFailsARequest) {
  asio::io_context io;
  // Keep-alive by the headers, closed right after: either the pool's probe notices before
  // reuse, or the retry rule covers it. The request succeeds on a second connection either way.
  LoopbackServer server(io, [](const ServerRequest&, int, int) {
    return Reply{ok_response("ok"), Reply::Then::close};
  });
  auto client = permissive_client();
  run(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE((co_await fetch(*client, request_to(url(server)))).ok());
    EXPECT_TRUE((co_await fetch(*client, request_to(url(server)))).ok());
  });
  EXPECT_EQ(server.accepted, 2);
}

// ---- the connect filter ---------------------------------------------------------------------

std::shared_ptr<HttpClient> strict_client(AddressRules rules = {}) {
  auto policy = AddressPolicy::create(rules);
  EXPECT_TRUE(policy.ok());
  return HttpClient::create(ClientOptions{PoolSettings{}, std::move(*policy)});
}

TEST(HttpClientPolicy, BlocksLocalAndMetadataAddressesBeforeConnecting) {
  asio::io_context io;
  LoopbackServer server(io, echo_target);
  auto client = strict_client();
  const std::string port = std::to_string(server.port());
  run(io, [&]() -> asio::awaitable<void> {
    for (const std::string& target : std::vector<std::string>{
          "http://127.0.0.1:" + port + "/", "http://[::1]:" + port + "/",
          "http://[::ffff:127.0.0.1]:" + port + "/", "http://10.0.0.1:" + port + "/",
          "http://192.168.1.1/", "http://169.254.1.1/", "http://169.254.169.254/latest/",
          "http://[fd00:ec2::254]/", "http://metadata.google.internal/"}) {
      auto r = co_await fetch(*client, request_to(target));
      EXPECT_FALSE(r.ok()) << target;
      if (r.ok()) continue;
      EXPECT_EQ(r.error().reason, Reason::blocked) << target << ": " << r.error().detail;
      EXPECT_NE(r.error().detail.find("refused"), std::string::npos) << r.error().detail;
    }
  });
  EXPECT_EQ(server.accepted, 0);
}

TEST(HttpClientPolicy, HostNameResolvingToABlockedAddressIsBlocked) {
  asio::io_context io;
  LoopbackServer server(io, echo_target);
  auto client = strict_client();
  run(io, [&]() -> asio::awaitable<void> {
    auto r = co_await fetch(*client, request_to(url(server, "/", false, "localhost")));
    EXPECT_FALSE(r.ok());
    if (r.ok()) co_return;
    EXPECT_EQ(r.error().reason, Reason::blocked);
    EXPECT_EQ(r.error().phase, Phase::resolve);
    EXPECT_NE(r.error().detail.find("loopback"), std::string::npos) << r.error().detail;
    EXPECT_NE(r.error().detail.find("(host 'localhost')"), std::string::npos) << r.error().detail;
  });
  EXPECT_EQ(server.accepted, 0);
}

TEST(HttpClientPolicy, OperatorRulesLiftTheirRangesOnly) {
  asio::io_context io;
  LoopbackServer server(io, echo_target);
  AddressRules rules;
  rules.allow_private = true;
  auto client = strict_client(rules);
  run(io, [&]() -> asio::awaitable<void> {
    auto ok = co_await fetch(*client, request_to(url(server, "/fine")));
    EXPECT_TRUE(ok.ok());
    auto metadata = co_await fetch(*client, request_to("http://169.254.169.254/"));
    EXPECT_FALSE(metadata.ok());
    if (!metadata.ok()) {
      EXPECT_EQ(metadata.error().reason, Reason::blocked);
    }
  });
  EXPECT_EQ(server.accepted, 1);
}

// ---- limits ---------------------------------------------------------------------------------

TEST(HttpClientLimits, SilentServerHitsTheFirstByteTimeout) {
  asio::io_context io;
  LoopbackServer server(io, [](const ServerRequest&, int, int) { return Reply{"", Reply::Then::hold}; });
  auto client = permissive_client();
  run(io, [&]() -> asio::awaitable<void> {
    auto r = co_await fetch(*client, request_to(url(server), Timeouts{5000, 50, 5000, 60000}));
    EXPECT_FALSE(r.ok());
    if (r.ok()) co_return;
    EXPECT_EQ(r.error().reason, Reason::timeout);
    EXPECT_EQ(r.error().phase, Phase::read_header);
    EXPECT_FALSE(r.error().total_deadline);
  });
  run_until(io, [&] { return server.hangups_seen == 1; });  // a timed-out connection is closed
  EXPECT_EQ(client->pool_stats().idle, 0);
}

TEST(HttpClientLimits, StalledBodyHitsTheIdleTimeoutAndTotalBinds) {
  asio::io_context io;
  LoopbackServer server(io, [](const ServerRequest&, int, int) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", Reply::Then::hold};
  });
  auto client = permissive_client();
  run(io, [&]() -> asio::awaitable<void> {
    auto idle = co_await fetch(*client, request_to(url(server), Timeouts{5000, 5000, 50, 60000}));
    EXPECT_FALSE(idle.ok());
    if (!idle.ok()) {
      EXPECT_EQ(idle.error().reason, Reason::timeout);
      EXPECT_EQ(idle.error().phase, Phase::read_body);
      EXPECT_FALSE(idle.error().total_deadline);
    }
    auto total = co_await fetch(*client, request_to(url(server), Timeouts{5000, 5000, 60000, 50}));
    EXPECT_FALSE(total.ok());
    if (!total.ok()) {
      EXPECT_EQ(total.error().reason, Reason::timeout);
      EXPECT_TRUE(total.error().total_deadline);
    }
  });
}

TEST(HttpClientLimits, BodyCapIsExactAndContentLengthFailsBeforeReading) {
  asio::io_context io;
  LoopbackServer server(io, [](const ServerRequest& req, int, int) {
    if (req.target() == "/announced") {
      return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", Reply::Then::hold};
    }
    if (req.target() == "/endless") {
      std::string chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (int i = 0; i < 8; ++i) chunks += "100\r\n" + std::string(256, 'x') + "\r\n";
      return Reply{chunks, Reply::Then::hold};
    }
    return Reply{ok_response(std::string(999, 'y'))};
  });
  auto client = permissive_client();
  run(io, [&]() -> asio::awaitable<void> {
    auto exact = co_await fetch(*client, request_to(url(server, "/exact")), 999);
    EXPECT_TRUE(exact.ok());
    if (exact.ok()) {
      EXPECT_EQ(exact->size(), 999u);
    }
    auto announced = co_await fetch(*client, request_to(url(server, "/announced")), 999);
    EXPECT_FALSE(announced.ok());
    if (!announced.ok()) {
      EXPECT_EQ(announced.error().reason, Reason::too_large);
    }
    auto endless = co_await fetch(*client, request_to(url(server, "/endless")), 1000);
    EXPECT_FALSE(endless.ok());
    if (!endless.ok()) {
      EXPECT_EQ(endless.error().reason, Reason::too_large);
    }
  });
  EXPECT_EQ(client->pool_stats().idle, 0);  // both over-cap connections were closed
}

TEST(HttpClientLimits, ARequestWaitsForAFreeConnectionAndReusesIt) {
  asio::io_context io;
  LoopbackServer server(io, echo_target);
  PoolSettings one;
  one.max_connections_per_host = 1;
  auto client = permissive_client(one);
  std::vector<std::string> order;
  run(io, [&]() -> asio::awaitable<void> {
    auto first = co_await client->start(request_to(url(server, "/first")));
    EXPECT_TRUE(first.ok());
    // The second request cannot connect while the first holds the only slot.
    auto second_done = std::make_shared<asio::steady_timer>(io, asio::steady_timer::time_point::max());
    auto second = [&]() -> asio::awaitable<void> {
      auto body = co_await fetch(*client, request_to(url(server, "/second")));
      EXPECT_TRUE(body.ok());
      order.push_back("second");
      second_done->cancel();
    };
    asio::co_spawn(io, second, asio::detached);
    auto body = co_await first->read_all(1024);
    EXPECT_TRUE(body.ok());
    order.push_back("first");
    co_await second_done->async_wait(testing::kTuple);
  });
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(server.accepted, 1);
  EXPECT_EQ(server.requests(), 2);
}

TEST(HttpClientLimits, WaitingForAFreeConnectionTimesOut) {
  asio::io_context io;
  LoopbackServer server(io, echo_target);
  PoolSettings one;
  one.max_connections_per_host = 1;
  auto client = permissive_client(one);
  run(io, [&]() -> asio::awaitable<void> {
    auto held = co_await client->start(request_to(url(server, "/held")));
    EXPECT_TRUE(held.ok());
    auto r = co_await fetch(*client, request_to(url(server), Timeouts{50, 5000, 5000, 60000}));
    EXPECT_FALSE(r.ok());
    if (r.ok()) co_return;
    EXPECT_EQ(r.error().reason, Reason::timeout);
    EXPECT_EQ(r.error().phase, Phase::wait_pool);
  });
  EXPECT_EQ(server.accepted, 1);
}

// ---- TLS ------------------------------------------------------------------------------------

// The server's certificate as a CA file, for the life of the object.
class CaFile {
 public:
  explicit CaFile(const std::string& pem)
      : path_(::testing::TempDir() + "sl_net_ca_" + std::to_string(::getpid()) + ".pem") {
    std::ofstream(path_) << pem;
  }
  ~CaFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(HttpClientTls, TrustedServerIsReusedWithSniAndHostNameCheck) {
  asio::io_context io;
  LoopbackServer server(io, echo_target, /*tls=*/true);
  CaFile ca(server.cert_pem());
  auto client = permissive_client();
  ASSERT_TRUE(client->prepare_tls(TlsSettings{ca.path()}).ok());
  run(io, [&]() -> asio::awaitable<void> {
    for (const char* path : {"/1", "/2", "/3"}) {
      Request r = request_to(url(server, path, true, "localhost"));
      r.tls.ca_file = ca.path();
      auto body = co_await fetch(*client, std::move(r));
      EXPECT_TRUE(body.ok()) << (body.ok() ? "" : body.error().detail);
      if (body.ok()) {
        EXPECT_EQ(*body, path);
      }
    }
    // An address literal is checked against the certificate's IP name and sends no SNI; it is
    // another pool key, so another connection.
    Request literal = request_to(url(server, "/4", true));
    literal.tls.ca_file = ca.path();
    EXPECT_TRUE((co_await fetch(*client, std::move(literal))).ok());
  });
  EXPECT_EQ(server.accepted, 2);
  EXPECT_EQ(server.sni, (std::vector<std::string>{"localhost", ""}));
  EXPECT_EQ(client->pool_stats().reused, 2);
}

TEST(HttpClientTls, UntrustedServerFailsTheHandshake) {
  asio::io_context io;
  LoopbackServer server(io, echo_target, /*tls=*/true);
  auto client = permissive_client();
  run(io, [&]() -> asio::awaitable<void> {
    auto r = co_await fetch(*client, request_to(url(server, "/", true)));
    EXPECT_FALSE(r.ok());
    if (r.ok()) co_return;
    EXPECT_EQ(r.error().reason, Reason::tls);
    EXPECT_EQ(r.error().phase, Phase::handshake);
  });
  EXPECT_EQ(server.accepted, 0);
}

TEST(HttpClientTls, BadCaFileIsReportedUpFront) {
  auto client = permissive_client();
  Status s = client->prepare_tls(TlsSettings{"/nonexistent/ca.pem"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::internal);
  EXPECT_NE(s.error().message.find("/nonexistent/ca.pem"), std::string::npos) << s.error().message;
}

// ---- threads --------------------------------------------------------------------------------

// The server's way: each caller on its own strand of a multi-threaded io_context, one shared
// client. Pooled sockets move between strands; under ThreadSanitizer this is the race check.
TEST(HttpClientThreads, CallersOnManyStrandsShareThePool) {
  asio::io_context server_io;
  LoopbackServer server(server_io, echo_target);
  auto server_guard = asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });

  PoolSettings four;
  four.max_connections_per_host = 4;
  auto client = permissive_client(four);
  asio::io_context io(4);
  std::atomic<int> ok{0};
  constexpr int kCallers = 8;
  constexpr int kEach = 20;
  for (int c = 0; c < kCallers; ++c) {
    auto caller = [&, c]() -> asio::awaitable<void> {
      for (int i = 0; i < kEach; ++i) {
        const std::string path = "/" + std::to_string(c) + "/" + std::to_string(i);
        auto body = co_await fetch(*client, request_to(url(server, path)));
        if (body.ok() && *body == path) ++ok;
      }
    };
    asio::co_spawn(asio::make_strand(io), caller, asio::detached);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { io.run(); });
  for (auto& t : threads) t.join();

  server_guard.reset();
  server_io.stop();
  server_thread.join();
  EXPECT_EQ(ok.load(), kCallers * kEach);
  EXPECT_LE(server.accepted, 4);
  EXPECT_EQ(server.requests(), kCallers * kEach);
}

// ---- lifetime -------------------------------------------------------------------------------

TEST(HttpClientLifetime, ClientOutlivesItsIoContext) {
  auto client = permissive_client();
  {
    asio::io_context io;
    LoopbackServer server(io, echo_target);
    run(io, [&]() -> asio::awaitable<void> {
      EXPECT_TRUE((co_await fetch(*client, request_to(url(server)))).ok());
    });
    EXPECT_EQ(client->pool_stats().idle, 1);
  }
  // The io_context's shutdown closed the idle socket while its services still existed.
  EXPECT_EQ(client->pool_stats().idle, 0);
  client.reset();
}

}  // namespace
}  // namespace sl::net
