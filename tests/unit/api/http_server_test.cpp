// HttpServer on 127.0.0.1:0 driven by a raw Beast client: keep-alive, envelopes, limits,
// timeouts, vanishing clients, streaming, disconnect detection, connection cap, graceful stop.
// Timeouts are set small; no test asserts on timing, and client reads carry generous deadlines
// so a bug fails the test rather than hanging it.
#include "api/http_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include "api/api_pipeline.hpp"
#include "api/error_response.hpp"
#include "core/clock.hpp"

namespace sl::api {
namespace {

using tcp = asio::ip::tcp;
namespace beast = boost::beast;

// Signals between handlers (server threads) and the test thread.
struct Flag {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> set{false};
  void raise() {
    std::lock_guard lk(mu);
    set = true;
    cv.notify_all();
  }
  bool wait(std::chrono::seconds limit = std::chrono::seconds(10)) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, limit, [&] { return set.load(); });
  }
};

struct Harness {
  SystemClock clock;
  Metrics metrics;
  asio::io_context ioc;
  std::unique_ptr<ApiPipeline> pipeline;
  std::unique_ptr<HttpServer> server;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  Flag handler_started, handler_cancelled, release;

  explicit Harness(ServerLimits limits) {
    Router r;
    r.add(http::verb::get, "/hello", [](Request& req, ResponseWriter& w) -> asio::awaitable<void> {
      Response res{http::status::ok, req.message.version()};
      res.set(http::field::content_type, "text/plain");
      res.body() = "hello";
      co_await w.send(std::move(res));
    });
    r.add(http::verb::post, "/echo", [](Request& req, ResponseWriter& w) -> asio::awaitable<void> {
      Response res{http::status::ok, req.message.version()};
      res.body() = req.message.body();
      co_await w.send(std::move(res));
    });
    r.add(http::verb::get, "/stream", [](Request&, ResponseWriter& w) -> asio::awaitable<void> {
      HeaderList headers;
      headers.emplace_back("Content-Type", "text/event-stream");
      co_await w.begin_stream(http::status::ok, std::move(headers));
      for (int i = 0; i < 3; ++i) co_await w.write("data: " + std::to_string(i) + "\n\n");
      co_await w.end();
    });
    // Waits (up to 30 s) until cancelled; records the cancellation.
    r.add(http::verb::get, "/wait", [this](Request&, ResponseWriter& w) -> asio::awaitable<void> {
      handler_started.raise();
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::seconds(30));
      try {
        co_await t.async_wait(asio::use_awaitable);
      } catch (const boost::system::system_error&) {
        handler_cancelled.raise();
        throw;
      }
      co_await w.send(Response{http::status::ok, 11});
    });
    // Waits for the test to release it, then answers (graceful stop).
    r.add(http::verb::get, "/slow", [this](Request& req, ResponseWriter& w) -> asio::awaitable<void> {
      handler_started.raise();
      asio::steady_timer t(co_await asio::this_coro::executor);
      while (!release.set) {
        t.expires_after(std::chrono::milliseconds(5));
        co_await t.async_wait(asio::use_awaitable);
      }
      Response res{http::status::ok, req.message.version()};
      res.body() = "done";
      co_await w.send(std::move(res));
    });
    pipeline = std::make_unique<ApiPipeline>(std::move(r), KeyRing::insecure(), CorsPolicy(),
                                             metrics, clock);
    server = std::make_unique<HttpServer>(ioc, limits, pipeline->handler(), clock);
    auto ep = server->listen("127.0.0.1", 0);
    EXPECT_TRUE(ep.ok());
    port = ep->port();
    server->start();
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { ioc.run(); });
  }

  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000)) {
    auto fut = asio::co_spawn(ioc, server->stop(grace), asio::use_future);
    fut.get();
  }

  ~Harness() {
    if (!server->stopping()) stop();
    ioc.stop();
    for (auto& t : threads) t.join();
  }
};

// A blocking client socket with a receive timeout, so a broken server fails instead of hanging.
struct Client {
  asio::io_context ioc;
  tcp::socket sock{ioc};
  beast::flat_buffer buf;

  explicit Client(uint16_t port) {
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{10, 0};
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send_raw(const std::string& s) { asio::write(sock, asio::buffer(s)); }
  void send(http::request<http::string_body> req) {
    req.prepare_payload();
    http::write(sock, req);
  }
  http::response<http::string_body> read() {
    http::response<http::string_body> res;
    http::read(sock, buf, res);
    return res;
  }
  // True when the server closed the connection (EOF or reset) before the deadline.
  bool closed_by_server() {
    char c;
    boost::system::error_code ec;
    size_t n = sock.read_some(asio::buffer(&c, 1), ec);
    return n == 0 && ec && ec != asio::error::would_block && ec != asio::error::try_again;
  }
};

http::request<http::string_body> get(const std::string& target) {
  http::request<http::string_body> r{http::verb::get, target, 11};
  r.set(http::field::host, "x");
  return r;
}

ServerLimits small_limits() {
  ServerLimits l;
  l.max_body_bytes = 1024;
  l.header_timeout_ms = 1000;
  l.body_timeout_ms = 1000;
  l.idle_timeout_ms = 5000;
  l.write_timeout_ms = 2000;
  return l;
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  Harness h(small_limits());
  Client c(h.port);
  for (int i = 0; i < 3; ++i) {
    c.send(get("/hello"));
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), "hello");
    EXPECT_TRUE(res.keep_alive());
  }
  auto post = get("/echo");
  post.method(http::verb::post);
  post.body() = "payload";
  c.send(post);
  EXPECT_EQ(c.read().body(), "payload");
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  Harness h(small_limits());
  Client c(h.port);
  c.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read().result_int(), 200u);
  EXPECT_EQ(c.read().result_int(), 404u);
}

TEST(HttpServer, NotFoundAndMethodNotAllowedEnvelopes) {
  Harness h(small_limits());
  Client c(h.port);
  c.send(get("/nope"));
  auto nf = c.read();
  EXPECT_EQ(nf.result_int(), 404u);
  EXPECT_EQ(boost::json::parse(nf.body()).at("error").at("code").as_string(), "not_found");
  auto put = get("/hello");
  put.method(http::verb::put);
  c.send(put);
  auto na = c.read();
  EXPECT_EQ(na.result_int(), 405u);
  EXPECT_EQ(boost::json::parse(na.body()).at("error").at("code").as_string(),
            "method_not_allowed");
}

TEST(HttpServer, OversizedBodyIs413Envelope) {
  Harness h(small_limits());
  Client c(h.port);
  auto post = get("/echo");
  post.method(http::verb::post);
  post.body() = std::string(4096, 'x');
  c.send(post);
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 413u);
  auto err = boost::json::parse(res.body()).at("error");
  EXPECT_EQ(err.at("code").as_string(), "payload_too_large");
  EXPECT_FALSE(res.keep_alive());
}

TEST(HttpServer, OversizedChunkedBodyIs413) {
  Harness h(small_limits());
  Client c(h.port);
  std::string chunk(800, 'y');
  c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" +
             chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(c.read().result_int(), 413u);
}

TEST(HttpServer, ExpectContinueGetsContinueThenResponse) {
  Harness h(small_limits());
  Client c(h.port);
  c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  http::response_parser<http::empty_body> p;
  http::read_header(c.sock, c.buf, p);
  EXPECT_EQ(p.get().result_int(), 100u);
  c.send_raw("abc");
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "abc");
}

TEST(HttpServer, OversizedHeaderIs431) {
  auto limits = small_limits();
  limits.max_header_bytes = 2048;
  Harness h(limits);
  Client c(h.port);
  c.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(c.read().result_int(), 431u);
}

TEST(HttpServer, MalformedRequestIs400) {
  Harness h(small_limits());
  Client c(h.port);
  c.send_raw("GARBAGE\r\n\r\n");
  EXPECT_EQ(c.read().result_int(), 400u);
}

TEST(HttpServer, SlowHeaderIsClosedAfterTheHeaderTimeout) {
  Harness h(small_limits());
  Client c(h.port);
  c.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\n");  // never finishes the header
  EXPECT_TRUE(c.closed_by_server());
  // The server still serves others.
  Client d(h.port);
  d.send(get("/hello"));
  EXPECT_EQ(d.read().result_int(), 200u);
}

TEST(HttpServer, SlowBodyIsClosedAfterTheBodyTimeout) {
  Harness h(small_limits());
  Client c(h.port);
  c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
  EXPECT_TRUE(c.closed_by_server());
}

TEST(HttpServer, ClientVanishingMidBodyDoesNotAffectTheNextConnection) {
  Harness h(small_limits());
  {
    Client c(h.port);
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nonly-a-bit");
  }  // closed mid-body
  {
    Client c(h.port);
    c.send_raw("GET /hel");
  }  // closed mid-header
  Client d(h.port);
  d.send(get("/hello"));
  EXPECT_EQ(d.read().body(), "hello");
}

TEST(HttpServer, ChunkedStreamingResponse) {
  Harness h(small_limits());
  Client c(h.port);
  c.send(get("/stream"));
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(res.body(), "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  // The connection is reusable after the last chunk.
  c.send(get("/hello"));
  EXPECT_EQ(c.read().body(), "hello");
}

TEST(HttpServer, ClientDisconnectCancelsTheHandler) {
  Harness h(small_limits());
  {
    Client c(h.port);
    c.send(get("/wait"));
    ASSERT_TRUE(h.handler_started.wait());
  }  // the client leaves while its handler waits
  EXPECT_TRUE(h.handler_cancelled.wait());
  Client d(h.port);
  d.send(get("/hello"));
  EXPECT_EQ(d.read().result_int(), 200u);
}

TEST(HttpServer, ConnectionsBeyondTheCapGet503) {
  auto limits = small_limits();
  limits.max_connections = 1;
  Harness h(limits);
  Client first(h.port);
  first.send(get("/hello"));
  ASSERT_EQ(first.read().result_int(), 200u);  // first is now an open, idle connection
  Client second(h.port);
  auto res = second.read();
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(boost::json::parse(res.body()).at("error").at("type").as_string(), "server_error");
}

TEST(HttpServer, GracefulStopClosesIdleAndFinishesInFlight) {
  Harness h(small_limits());
  Client idle(h.port);
  idle.send(get("/hello"));
  ASSERT_EQ(idle.read().result_int(), 200u);
  Client busy(h.port);
  busy.send(get("/slow"));
  ASSERT_TRUE(h.handler_started.wait());

  auto stopped = asio::co_spawn(h.ioc, h.server->stop(std::chrono::seconds(10)), asio::use_future);
  EXPECT_TRUE(idle.closed_by_server());
  h.release.raise();
  auto res = busy.read();
  EXPECT_EQ(res.body(), "done");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(h.server->active_connections(), 0u);
}

TEST(HttpServer, StopAfterGraceClosesStuckRequests) {
  Harness h(small_limits());
  Client c(h.port);
  c.send(get("/wait"));
  ASSERT_TRUE(h.handler_started.wait());
  h.stop(std::chrono::milliseconds(50));
  EXPECT_TRUE(h.handler_cancelled.wait());
  EXPECT_TRUE(c.closed_by_server());
}

TEST(HttpServer, ListenOnBusyPortFails) {
  Harness h(small_limits());
  SystemClock clock;
  asio::io_context ioc;
  HttpServer other(ioc, ServerLimits{}, [](Request&, ResponseWriter&) -> asio::awaitable<void> { co_return; }, clock);
  auto r = other.listen("127.0.0.1", h.port);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(other.listen("not-an-address", 0).ok());
}

}  // namespace
}  // namespace sl::api
