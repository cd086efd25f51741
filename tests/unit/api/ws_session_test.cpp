// WebSocket sessions end to end inside the process: a real Beast client against the real server
// (pipeline + HttpServer) on loopback, with echo test routes. Nothing here asserts on timing:
// a client that does not read is made with a tiny receive buffer and far more data than any
// socket buffers hold, and the queue is checked through its counters.
#include <gtest/gtest.h>

#include <cstdio>

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "api/auth.hpp"
#include "api/ws_session.hpp"
#include "ws_test_support.hpp"

namespace sl::api {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using testing::eventually;
using testing::kTestKeys;
using testing::WsClient;
using testing::WsServer;

WsSettings roomy() {
  WsSettings s;
  s.max_queue_messages = 1024;
  s.max_queue_bytes = 16u << 20;
  return s;
}

// A payload that says which message it is: "000042" followed by filler up to `size` bytes.
WsPayload numbered(int i, size_t size) {
  char head[16];
  std::snprintf(head, sizeof head, "%06d", i);
  std::string s(head);
  s.resize(size, 'x');
  return std::make_shared<const std::string>(std::move(s));
}
int number_of(const std::string& s) { return std::stoi(s.substr(0, 6)); }

TEST(WebSocket, HeaderAuthUpgradesAndMessagesComeBackInOrder) {
  WsServer server(roomy());
  WsClient client(server.port);
  ASSERT_FALSE(client.handshake("/ws/echo/cam1", kTestKeys[0]));
  EXPECT_EQ(client.status(), 101u);
  auto seen = server.session(0);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->owner, KeyRing::owner_id(kTestKeys[0]));
  EXPECT_EQ(seen->name, "cam1");

  for (int i = 0; i < 200; ++i) ASSERT_FALSE(client.write("m" + std::to_string(i)));
  for (int i = 0; i < 200; ++i) {
    auto m = client.read();
    ASSERT_FALSE(m.ec) << m.ec.message();
    EXPECT_EQ(m.data, "m" + std::to_string(i));
  }
}

TEST(WebSocket, ProducerOnAnotherThreadKeepsItsOrder) {
  WsServer server(roomy());
  WsClient client(server.port);
  ASSERT_FALSE(client.handshake("/ws/echo/x", kTestKeys[0]));
  auto seen = server.session(0);
  ASSERT_TRUE(seen);
  std::thread producer([h = seen->handle] {
    for (int i = 0; i < 500; ++i) h.send(numbered(i, 32));
  });
  for (int i = 0; i < 500; ++i) {
    auto m = client.read();
    ASSERT_FALSE(m.ec) << m.ec.message();
    EXPECT_EQ(number_of(m.data), i);
  }
  producer.join();
}

TEST(WebSocket, WrongOrMissingHeaderIsRefusedWith401BeforeUpgrading) {
  WsServer server(roomy());
  {
    WsClient client(server.port);
    EXPECT_EQ(client.handshake("/ws/echo/x", "not-a-key"), websocket::error::upgrade_declined);
    EXPECT_EQ(client.status(), 401u);
  }
  {
    WsClient client(server.port);
    EXPECT_EQ(client.handshake("/ws/echo/x"), websocket::error::upgrade_declined);
    EXPECT_EQ(client.status(), 401u);
  }
  {
    // On a first-message route a header, when given, still decides.
    WsClient client(server.port);
    EXPECT_EQ(client.handshake("/ws/first/x", "not-a-key"), websocket::error::upgrade_declined);
    EXPECT_EQ(client.status(), 401u);
  }
  EXPECT_EQ(server.sessions_opened(), 0u);
  EXPECT_EQ(server.pipeline->websockets().active(), 0u);
}

TEST(WebSocket, FirstMessageAuthOpensTheSession) {
  WsServer server(roomy());
  WsClient client(server.port);
  ASSERT_FALSE(client.handshake("/ws/first/cam2"));
  EXPECT_EQ(client.status(), 101u);
  ASSERT_FALSE(client.write(R"({"api_key": "key-two"})"));
  auto seen = server.session(0);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->owner, KeyRing::owner_id("key-two"));
  EXPECT_EQ(seen->name, "cam2");
  ASSERT_FALSE(client.write("hello"));
  auto m = client.read();
  ASSERT_FALSE(m.ec);
  EXPECT_EQ(m.data, "hello");  // the key message itself is not passed on
  EXPECT_EQ(server.pipeline->websockets().active_for(KeyRing::owner_id("key-two")), 1u);
}

TEST(WebSocket, BadFirstMessageClosesWith1008) {
  WsServer server(roomy());
  for (const std::string first : {R"({"api_key": "wrong"})", "not json", R"({"key": "key-one"})"}) {
    WsClient client(server.port);
    ASSERT_FALSE(client.handshake("/ws/first/x"));
    ASSERT_FALSE(client.write(first));
    boost::system::error_code end;
    auto messages = client.read_until_closed(&end);
    EXPECT_TRUE(messages.empty());
    EXPECT_EQ(end, websocket::error::closed) << first;
    EXPECT_EQ(client.reason().code, ws_close::policy_violation) << first;
  }
  EXPECT_EQ(server.sessions_opened(), 0u);
  EXPECT_TRUE(eventually([&] { return server.pipeline->websockets().active() == 0; }));
}

TEST(WebSocket, SilentFirstMessageClientIsClosedWith1008AfterTheAuthTimeout) {
  WsSettings s = roomy();
  s.auth_timeout_ms = 50;
  WsServer server(s);
  WsClient client(server.port);
  ASSERT_FALSE(client.handshake("/ws/first/x"));
  boost::system::error_code end;
  client.read_until_closed(&end);
  EXPECT_EQ(end, websocket::error::closed);
  EXPECT_EQ(client.reason().code, ws_close::policy_violation);
}

TEST(WebSocket, PlainGetOnAWebSocketRouteIs426) {
  WsServer server(roomy());
  asio::io_context ioc;
  tcp::socket sock(ioc);
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port));
  http::request<http::string_body> req{http::verb::get, "/ws/echo/x", 11};
  req.set(http::field::host, "x");
  req.set(http::field::authorization, "Bearer key-one");
  http::write(sock, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(sock, buf, res);
  EXPECT_EQ(res.result_int(), 426u);
  EXPECT_EQ(res[http::field::upgrade], "websocket");
}

// A reader that never reads: the queue stays within its caps, the oldest messages are dropped
// and counted, and what finally arrives is the newest messages, in order.
TEST(WebSocket, StalledReaderKeepsTheQueueBoundedAndDropsTheOldest) {
  WsSettings s;
  s.max_queue_messages = 8;
  s.max_queue_bytes = 128u << 10;
  s.max_drops_in_a_row = 1'000'000;  // this test is about the queue, not the hard cap
  s.send_timeout_ms = 600'000;
  WsServer server(s);
  WsClient client(server.port, /*receive_buffer=*/4096);
  ASSERT_FALSE(client.handshake("/ws/echo/slow", kTestKeys[0]));
  auto seen = server.session(0);
  ASSERT_TRUE(seen);

  // 600 x 32 KiB = 19 MiB, far more than loopback socket buffers hold.
  constexpr int kCount = 600;
  constexpr size_t kSize = 32u << 10;
  for (int i = 0; i < kCount; ++i) ASSERT_TRUE(seen->handle.send(numbered(i, kSize)));
  ASSERT_TRUE(eventually([&] { return seen->handle.stats().accepted == kCount; }));

  const WsStats st = seen->handle.stats();
  EXPECT_TRUE(st.open);
  EXPECT_LE(st.queued_messages, s.max_queue_messages);
  EXPECT_LE(st.queued_bytes, s.max_queue_bytes);
  EXPECT_EQ(st.queued_bytes, st.queued_messages * kSize);
  EXPECT_GT(st.dropped, 0u);
  // Every message is written, queued, dropped or the one write in flight.
  EXPECT_EQ(st.written + st.queued_messages + st.dropped + (st.writing ? 1 : 0), st.accepted);
  EXPECT_EQ(server.pipeline->websockets().dropped_total(), st.dropped);
  EXPECT_NE(server.metrics.render().find("websocket_messages_dropped_total " +
                                         std::to_string(st.dropped)),
            std::string::npos);

  // The client catches up: messages arrive in order, the newest among them, none twice.
  int last = -1;
  int received = 0;
  while (last != kCount - 1) {
    auto m = client.read();
    ASSERT_FALSE(m.ec) << m.ec.message();
    const int n = number_of(m.data);
    EXPECT_GT(n, last);
    last = n;
    ++received;
  }
  EXPECT_EQ(static_cast<uint64_t>(received) + seen->handle.stats().dropped,
            static_cast<uint64_t>(kCount));
}

// Past max_drops_in_a_row the reader is too slow: the queue is discarded and the session
// closes with 1013; the client sees that close frame once it reads again.
TEST(WebSocket, ReaderTooSlowPastTheHardCapIsClosedWith1013) {
  WsSettings s;
  s.max_queue_messages = 8;
  s.max_queue_bytes = 128u << 10;
  s.max_drops_in_a_row = 32;
  s.send_timeout_ms = 600'000;
  s.close_timeout_ms = 600'000;  // the close frame waits for the client, not for a timer
  WsServer server(s);
  WsClient client(server.port, /*receive_buffer=*/4096);
  ASSERT_FALSE(client.handshake("/ws/echo/slow", kTestKeys[0]));
  auto seen = server.session(0);
  ASSERT_TRUE(seen);

  for (int i = 0; i < 600; ++i) seen->handle.send(numbered(i, 32u << 10));
  ASSERT_TRUE(eventually([&] { return seen->handle.stats().close_code != 0; }));
  const WsStats st = seen->handle.stats();
  EXPECT_EQ(st.close_code, ws_close::try_again_later);
  EXPECT_FALSE(st.open);
  EXPECT_EQ(st.queued_messages, 0u);
  EXPECT_FALSE(seen->handle.send(numbered(0, 10)));  // closing: a no-op

  boost::system::error_code end;
  client.read_until_closed(&end);
  EXPECT_EQ(end, websocket::error::closed);
  EXPECT_EQ(client.reason().code, ws_close::try_again_later);
  auto closed = server.close_seen(0);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code, ws_close::try_again_later);
  EXPECT_TRUE(closed->by_server);
}

TEST(WebSocket, CloseFromAnotherThreadFlushesTheQueueThenCloses) {
  WsServer server(roomy());
  WsClient client(server.port);
  ASSERT_FALSE(client.handshake("/ws/echo/x", kTestKeys[0]));
  auto seen = server.session(0);
  ASSERT_TRUE(seen);
  std::thread([h = seen->handle] {
    h.send_text("first");
    h.send_text("second");
    h.close(4001, "bye");
    h.send_text("too late");
  }).join();

  boost::system::error_code end;
  auto messages = client.read_until_closed(&end);
  EXPECT_EQ(messages, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(end, websocket::error::closed);
  EXPECT_EQ(client.reason().code, 4001);
  EXPECT_EQ(std::string(client.reason().reason.data(), client.reason().reason.size()), "bye");

  auto closed = server.close_seen(0);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code, 4001);
  EXPECT_TRUE(closed->by_server);
  EXPECT_TRUE(eventually([&] { return !seen->handle.alive(); }));
  EXPECT_FALSE(seen->handle.send_text("after the end"));
  // Nothing keeps the finished session alive: once freed, its handle reads as all zero.
  EXPECT_TRUE(eventually([&] { return seen->handle.stats().close_code == 0; }));
  EXPECT_TRUE(eventually([&] { return server.pipeline->websockets().active() == 0; }));
}

TEST(WebSocket, ClientCloseIsReportedToOnClose) {
  WsServer server(roomy());
  WsClient client(server.port);
  ASSERT_FALSE(client.handshake("/ws/echo/x", kTestKeys[0]));
  ASSERT_TRUE(server.session(0));
  EXPECT_FALSE(client.close(1000, "done"));
  auto closed = server.close_seen(0);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code, 1000);
  EXPECT_EQ(closed->reason, "done");
  EXPECT_FALSE(closed->by_server);
}

TEST(WebSocket, ShutdownClosesEverySessionWith1001) {
  WsServer server(roomy());
  WsClient open_client(server.port);
  ASSERT_FALSE(open_client.handshake("/ws/echo/x", kTestKeys[0]));
  ASSERT_TRUE(server.session(0));
  WsClient pending_client(server.port);  // upgraded, not yet authenticated
  ASSERT_FALSE(pending_client.handshake("/ws/first/y"));
  ASSERT_TRUE(eventually([&] { return server.pipeline->websockets().active() == 2; }));

  // The clients answer the close frames while the shutdown waits for them.
  auto shutdown = asio::co_spawn(
      server.ioc, server.pipeline->websockets().shutdown(std::chrono::milliseconds(20'000)),
      asio::use_future);
  for (WsClient* c : {&open_client, &pending_client}) {
    boost::system::error_code end;
    c->read_until_closed(&end);
    EXPECT_EQ(end, websocket::error::closed);
    EXPECT_EQ(c->reason().code, ws_close::going_away);
    EXPECT_EQ(std::string(c->reason().reason.data(), c->reason().reason.size()),
              "server shutting down");
  }
  shutdown.get();
  EXPECT_EQ(server.pipeline->websockets().active(), 0u);
  auto closed = server.close_seen(0);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code, ws_close::going_away);

  WsClient late(server.port);
  EXPECT_EQ(late.handshake("/ws/echo/x", kTestKeys[0]), websocket::error::upgrade_declined);
  EXPECT_EQ(late.status(), 503u);
}

TEST(WebSocket, SessionCapsPerKeyAndGlobal) {
  WsSettings s = roomy();
  s.max_sessions = 2;
  s.max_sessions_per_key = 1;
  WsServer server(s);
  auto& sessions = server.pipeline->websockets();

  WsClient a(server.port);
  ASSERT_FALSE(a.handshake("/ws/echo/a", kTestKeys[0]));
  WsClient b(server.port);  // same key: over the per-key cap
  EXPECT_EQ(b.handshake("/ws/echo/b", kTestKeys[0]), websocket::error::upgrade_declined);
  EXPECT_EQ(b.status(), 429u);
  WsClient c(server.port);
  ASSERT_FALSE(c.handshake("/ws/echo/c", kTestKeys[1]));
  WsClient d(server.port);  // another key, but the server is full
  EXPECT_EQ(d.handshake("/ws/echo/d", kTestKeys[2]), websocket::error::upgrade_declined);
  EXPECT_EQ(d.status(), 429u);
  EXPECT_EQ(sessions.active(), 2u);

  // A first-message session learns its key after the upgrade: over the cap it closes with 1013.
  ASSERT_FALSE(c.close(1000, "make room"));
  ASSERT_TRUE(eventually([&] { return sessions.active() == 1; }));
  WsClient e(server.port);
  ASSERT_FALSE(e.handshake("/ws/first/e"));
  ASSERT_FALSE(e.write(R"({"api_key": "key-one"})"));
  boost::system::error_code end;
  e.read_until_closed(&end);
  EXPECT_EQ(end, websocket::error::closed);
  EXPECT_EQ(e.reason().code, ws_close::try_again_later);
  EXPECT_TRUE(eventually([&] { return sessions.active() == 1; }));
  EXPECT_EQ(sessions.active_for(KeyRing::owner_id(kTestKeys[0])), 1u);
}

}  // namespace
}  // namespace sl::api
