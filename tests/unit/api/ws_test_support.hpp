// Helpers for the WebSocket tests: a real server (pipeline + HttpServer on 127.0.0.1:0) with
// test routes that record what their handlers saw, and a Beast WebSocket client whose every
// operation carries a generous deadline, so a broken server fails a test instead of hanging it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "api/api_pipeline.hpp"
#include "api/http_server.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"

namespace sl::api::testing {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto kDeadline = std::chrono::seconds(20);

// Polls `done` until it holds or the deadline passes (a failing test, not a hanging one).
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Keys accepted by the test server.
inline const std::vector<std::string> kTestKeys = {"key-one", "key-two", "key-three"};

// The server, with two WebSocket routes that echo every message back and record each session:
//   /ws/echo/{name}   bearer header only
//   /ws/first/{name}  bearer header or first message {"api_key": ...}
struct WsServer {
  struct Seen {
    std::string owner;
    std::string name;
    WsHandle handle;
  };

  SystemClock clock;
  Metrics metrics;
  asio::io_context ioc;
  std::unique_ptr<ApiPipeline> pipeline;
  std::unique_ptr<HttpServer> server;
  std::vector<std::thread> threads;
  uint16_t port = 0;

  std::mutex mu;
  std::condition_variable cv;
  std::vector<Seen> opened;
  std::vector<WsClose> closed;

  explicit WsServer(WsSettings settings) {
    Router r;
    auto handler = [this](WsOpen& open) {
      {
        std::lock_guard lk(mu);
        opened.push_back(Seen{open.owner, open.param("name"), open.session});
      }
      cv.notify_all();
      open.on_message = [h = open.session](std::string data, bool binary) {
        h.send(std::make_shared<const std::string>(std::move(data)), binary);
      };
      open.on_close = [this](const WsClose& c) {
        {
          std::lock_guard lk(mu);
          closed.push_back(c);
        }
        cv.notify_all();
      };
    };
    r.add_websocket("/ws/echo/{name}", handler);
    r.add_websocket("/ws/first/{name}", handler, WsRouteOptions{true});
    pipeline = std::make_unique<ApiPipeline>(std::move(r), KeyRing(kTestKeys), CorsPolicy(),
                                             metrics, clock, settings);
    server = std::make_unique<HttpServer>(ioc, ServerLimits{}, pipeline->handler(), clock);
    auto ep = server->listen("127.0.0.1", 0);
    if (ep.ok()) port = ep->port();
    server->start();
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { ioc.run(); });
  }

  ~WsServer() {
    shutdown_websockets(std::chrono::milliseconds(5000));
    asio::co_spawn(ioc, server->stop(std::chrono::milliseconds(2000)), asio::use_future).get();
    ioc.stop();
    for (auto& t : threads) t.join();
  }

  void shutdown_websockets(std::chrono::milliseconds grace) {
    asio::co_spawn(ioc, pipeline->websockets().shutdown(grace), asio::use_future).get();
  }

  // The i-th session the handlers saw (waits for it).
  std::optional<Seen> session(size_t i) {
    std::unique_lock lk(mu);
    if (!cv.wait_for(lk, kDeadline, [&] { return opened.size() > i; })) return std::nullopt;
    return opened[i];
  }
  std::optional<WsClose> close_seen(size_t i) {
    std::unique_lock lk(mu);
    if (!cv.wait_for(lk, kDeadline, [&] { return closed.size() > i; })) return std::nullopt;
    return closed[i];
  }
  size_t sessions_opened() {
    std::lock_guard lk(mu);
    return opened.size();
  }
};

// A WebSocket client on its own io_context thread. Each call runs one operation there and
// waits for it; every operation has a deadline (kDeadline).
class WsClient {
 public:
  struct Message {
    boost::system::error_code ec;
    std::string data;
    bool binary = false;
  };

  // receive_buffer: a small SO_RCVBUF (bytes) makes "a client that does not read" fill up fast.
  explicit WsClient(uint16_t port, int receive_buffer = 0)
      : port_(port), work_(asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {
    if (receive_buffer > 0) {
      auto& sock = beast::get_lowest_layer(ws_).socket();
      sock.open(tcp::v4());
      sock.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    }
  }

  ~WsClient() {
    run<int>([this](auto done) {
      boost::system::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      done(0);
    });
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  // Connects and asks for the upgrade; `bearer` non-empty adds an Authorization header.
  boost::system::error_code handshake(const std::string& target, const std::string& bearer = {}) {
    return run<boost::system::error_code>([this, target, bearer](auto done) {
      auto& stream = beast::get_lowest_layer(ws_);
      stream.expires_after(kDeadline);
      tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port_);
      stream.async_connect(ep, [this, target, bearer, done](boost::system::error_code ec) {
        if (ec) return done(ec);
        if (!bearer.empty())
          ws_.set_option(websocket::stream_base::decorator(
              [bearer](websocket::request_type& req) {
                req.set(http::field::authorization, "Bearer " + bearer);
              }));
        beast::get_lowest_layer(ws_).expires_after(kDeadline);
        ws_.async_handshake(response_, "127.0.0.1", target,
                            [done](boost::system::error_code e) { done(e); });
      });
    });
  }
  // The HTTP status of the handshake's answer (101 when upgraded).
  unsigned status() const { return response_.result_int(); }

  Message read() {
    return run<Message>([this](auto done) {
      beast::get_lowest_layer(ws_).expires_after(kDeadline);
      ws_.async_read(buffer_, [this, done](boost::system::error_code ec, size_t) {
        Message m{ec, {}, false};
        if (!ec) {
          m.data = beast::buffers_to_string(buffer_.data());
          m.binary = ws_.got_binary();
        }
        buffer_.consume(buffer_.size());
        done(std::move(m));
      });
    });
  }

  // Reads until the connection ends; returns the messages read before it ended.
  std::vector<std::string> read_until_closed(boost::system::error_code* end = nullptr) {
    std::vector<std::string> out;
    for (;;) {
      Message m = read();
      if (m.ec) {
        if (end) *end = m.ec;
        return out;
      }
      out.push_back(std::move(m.data));
    }
  }

  boost::system::error_code write(const std::string& text) {
    return run<boost::system::error_code>([this, text](auto done) {
      auto payload = std::make_shared<std::string>(text);
      beast::get_lowest_layer(ws_).expires_after(kDeadline);
      ws_.text(true);
      ws_.async_write(asio::buffer(*payload),
                      [payload, done](boost::system::error_code ec, size_t) { done(ec); });
    });
  }

  boost::system::error_code close(uint16_t code, const std::string& reason) {
    return run<boost::system::error_code>([this, code, reason](auto done) {
      beast::get_lowest_layer(ws_).expires_after(kDeadline);
      websocket::close_reason r(code);
      r.reason = reason;
      ws_.async_close(r, [done](boost::system::error_code ec) { done(ec); });
    });
  }

  // The close frame the server sent (valid after a read ended with websocket::error::closed).
  websocket::close_reason reason() {
    return run<websocket::close_reason>([this](auto done) { done(ws_.reason()); });
  }

 private:
  // Runs `start(done)` on the client thread and waits for done(value).
  template <class T, class Start>
  T run(Start start) {
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    asio::post(ioc_, [start, promise]() mutable {
      start([promise](T value) { promise->set_value(std::move(value)); });
    });
    return future.get();
  }

  uint16_t port_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  beast::flat_buffer buffer_;
  websocket::response_type response_;
  std::thread thread_;
};

}  // namespace sl::api::testing
