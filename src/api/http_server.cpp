#include "api/http_server.hpp"

#include <atomic>
#include <cctype>
#include <map>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "api/error_response.hpp"
#include "core/guarded.hpp"
#include "api/router.hpp"
#include "core/log.hpp"

namespace sl::api {

namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using std::chrono::milliseconds;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

namespace {

// One accepted connection. Every field is touched only on the connection's strand.
struct Conn {
  explicit Conn(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  bool busy = false;          // a request has started arriving and is not answered yet
  bool gone = false;          // the client disconnected (seen by the watcher or a write)
  bool force_closed = false;  // closed by stop() after the grace period
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

struct HttpServer::Core {
  Core(asio::io_context& io, ServerLimits l, Handler h, const Clock& c)
      : ioc(io), limits(l), handler(std::move(h)), clock(c), accept_strand(asio::make_strand(io)),
        acceptor(accept_strand) {}

  asio::io_context& ioc;
  const ServerLimits limits;
  const Handler handler;
  const Clock& clock;
  asio::strand<asio::io_context::executor_type> accept_strand;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> active{0};
  std::mutex mu;
  uint64_t next_id = 1;
  std::map<uint64_t, std::weak_ptr<Conn>> conns;

  uint64_t add(const std::shared_ptr<Conn>& c) {
    std::lock_guard lk(mu);
    uint64_t id = next_id++;
    conns[id] = c;
    return id;
  }
  void remove(uint64_t id) {
    std::lock_guard lk(mu);
    conns.erase(id);
  }
  std::vector<std::shared_ptr<Conn>> snapshot() {
    std::lock_guard lk(mu);
    std::vector<std::shared_ptr<Conn>> out;
    for (auto& [id, w] : conns)
      if (auto c = w.lock()) out.push_back(std::move(c));
    return out;
  }
};

namespace {

using Core = HttpServer::Core;

// The ResponseWriter of one request on one connection.
class SessionWriter final : public ResponseWriter {
 public:
  SessionWriter(Core& core, Conn& conn, unsigned version, bool keep_alive, bool head)
      : core_(core), conn_(conn), version_(version), keep_alive_(keep_alive), head_(head) {}

  bool keep_alive() const { return keep_alive_; }

 protected:
  asio::awaitable<bool> transport_send(Response& r) override {
    r.version(version_);
    keep_alive_ = keep_alive_ && !core_.stopping.load();
    r.keep_alive(keep_alive_);
    r.prepare_payload();
    if (head_) {
      // HEAD: the GET response's headers (Content-Length included), no body (RFC 9110 9.3.2).
      const auto length = r.body().size();
      r.body().clear();
      r.content_length(length);
    }
    conn_.stream.expires_after(milliseconds(core_.limits.write_timeout_ms));
    auto [ec, n] = co_await http::async_write(conn_.stream, r, kTuple);
    (void)n;
    co_return finish_write(ec);
  }

  asio::awaitable<bool> transport_begin(http::response<http::empty_body>& h) override {
    h.version(version_);
    if (version_ < 11) {
      // HTTP/1.0 has no chunked encoding: raw body, delimited by closing the connection.
      h.chunked(false);
      keep_alive_ = false;
      raw_ = true;
    } else {
      keep_alive_ = keep_alive_ && !core_.stopping.load();
    }
    h.keep_alive(keep_alive_);
    http::response_serializer<http::empty_body> sr{h};
    conn_.stream.expires_after(milliseconds(core_.limits.write_timeout_ms));
    auto [ec, n] = co_await http::async_write_header(conn_.stream, sr, kTuple);
    (void)n;
    co_return finish_write(ec);
  }

  asio::awaitable<bool> transport_chunk(std::string_view chunk) override {
    conn_.stream.expires_after(milliseconds(core_.limits.write_timeout_ms));
    boost::system::error_code ec;
    if (raw_) {
      auto [e, n] = co_await asio::async_write(conn_.stream, asio::buffer(chunk), kTuple);
      (void)n;
      ec = e;
    } else {
      auto [e, n] = co_await asio::async_write(
          conn_.stream, http::make_chunk(asio::const_buffer(chunk.data(), chunk.size())), kTuple);
      (void)n;
      ec = e;
    }
    co_return finish_write(ec);
  }

  asio::awaitable<bool> transport_end() override {
    if (raw_) co_return true;
    conn_.stream.expires_after(milliseconds(core_.limits.write_timeout_ms));
    auto [ec, n] = co_await asio::async_write(conn_.stream, http::make_chunk_last(), kTuple);
    (void)n;
    co_return finish_write(ec);
  }

  bool transport_gone() const override { return conn_.gone; }
  // HTTP/1.0 has no Upgrade; a HEAD request never upgrades.
  bool transport_can_upgrade() const override { return version_ >= 11 && !head_; }

 private:
  bool finish_write(const boost::system::error_code& ec) {
    conn_.stream.expires_never();
    if (ec) {
      conn_.gone = true;
      log::debug("http", "write failed: " + ec.message());
    }
    return !ec;
  }

  Core& core_;
  Conn& conn_;
  unsigned version_;
  bool keep_alive_;
  const bool head_;
  bool raw_ = false;
};

asio::awaitable<void> invoke_handler(const Handler& handler, Request& req, ResponseWriter& w) {
  (void)co_await guarded(handler(req, w), "http", "handler");
}

// Completes only when the client is seen to disconnect while its request is being handled
// (EOF or reset on the socket), so that `handler || watcher` cancels the handler. Data from a
// pipelined next request teaches nothing, so it then waits to be cancelled.
asio::awaitable<void> watch_disconnect(Conn& conn) {
  auto& sock = conn.stream.socket();
  for (;;) {
    auto [ec] = co_await sock.async_wait(tcp::socket::wait_read, kTuple);
    if (ec) {
      if (conn.force_closed) {
        conn.gone = true;
        co_return;
      }
      throw boost::system::system_error(ec);  // cancelled because the handler finished
    }
    char byte;
    boost::system::error_code pec;
    size_t n = sock.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, pec);
    if (pec == asio::error::would_block || pec == asio::error::try_again) continue;
    if (pec || n == 0) {
      conn.gone = true;
      co_return;
    }
    asio::steady_timer forever(co_await asio::this_coro::executor,
                               asio::steady_timer::time_point::max());
    co_await forever.async_wait(use_awaitable);
  }
}

// After an error answer whose request body was not read: stop sending and read (and drop)
// what the client still sends for a moment, so closing does not reset the connection before
// the client has read the answer.
asio::awaitable<void> lingering_close(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  for (;;) {
    auto [e, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    (void)n;
    if (e) break;
  }
  stream.close();
}

asio::awaitable<void> write_and_close(beast::tcp_stream& stream, Response res,
                                      int64_t write_timeout_ms) {
  res.keep_alive(false);
  res.prepare_payload();
  stream.expires_after(milliseconds(write_timeout_ms));
  auto [ec, n] = co_await http::async_write(stream, res, kTuple);
  (void)n;
  if (ec) {
    stream.close();
    co_return;
  }
  co_await lingering_close(stream);
}

// A request that could not be read. Answers when there is something useful to say.
asio::awaitable<void> answer_read_error(Core& core, Conn& conn, boost::system::error_code ec) {
  if (ec == http::error::body_limit) {
    co_await write_and_close(
        conn.stream,
        error_response(413, "invalid_request_error", "payload_too_large",
                       "Request body too large: the limit is " +
                           std::to_string(core.limits.max_body_bytes) + " bytes."),
        core.limits.write_timeout_ms);
  } else if (ec == http::error::header_limit) {
    co_await write_and_close(
        conn.stream,
        error_response(431, "invalid_request_error", "request_header_fields_too_large",
                       "Request header too large: the limit is " +
                           std::to_string(core.limits.max_header_bytes) + " bytes."),
        core.limits.write_timeout_ms);
  } else if (ec.category() == boost::system::error_code(http::error::bad_method).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    co_await write_and_close(conn.stream,
                             error_response(400, "invalid_request_error", "invalid_request",
                                            "Malformed HTTP request: " + ec.message()),
                             core.limits.write_timeout_ms);
  }
  // Timeouts, resets and clients that left: nothing to answer.
}

struct SessionGuard {
  std::shared_ptr<Core> core;
  uint64_t id;
  ~SessionGuard() {
    core->remove(id);
    core->active.fetch_sub(1);
  }
};

asio::awaitable<void> run_session(std::shared_ptr<Core> core, std::shared_ptr<Conn> conn,
                                  uint64_t id) {
  using namespace asio::experimental::awaitable_operators;
  SessionGuard guard{core, id};
  const auto& L = core->limits;
  beast::flat_buffer buffer;
  bool first = true;
  bool handed_over = false;  // upgraded: the socket now belongs to another protocol
  try {
    conn->stream.socket().non_blocking(true);
    for (;;) {
      if (buffer.size() == 0) {
        if (core->stopping.load()) break;
        conn->stream.expires_after(milliseconds(first ? L.header_timeout_ms : L.idle_timeout_ms));
        auto [ec, n] = co_await conn->stream.async_read_some(buffer.prepare(4096), kTuple);
        if (ec) break;  // idle timeout, client closed, or stop()
        buffer.commit(n);
      }
      conn->busy = true;
      if (!first) conn->stream.expires_after(milliseconds(L.header_timeout_ms));
      first = false;

      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(L.max_header_bytes));
      parser.body_limit(static_cast<std::uint64_t>(L.max_body_bytes));
      {
        auto [ec, n] = co_await http::async_read_header(conn->stream, buffer, parser, kTuple);
        (void)n;
        if (ec) {
          co_await answer_read_error(*core, *conn, ec);
          break;
        }
      }
      const int64_t received = core->clock.wall_ms();
      if (!parser.is_done()) {
        if (iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> cont{http::status::continue_, 11};
          conn->stream.expires_after(milliseconds(L.write_timeout_ms));
          auto [ec, n] = co_await http::async_write(conn->stream, cont, kTuple);
          (void)n;
          if (ec) break;
        }
        conn->stream.expires_after(milliseconds(L.body_timeout_ms));
        auto [ec, n] = co_await http::async_read(conn->stream, buffer, parser, kTuple);
        (void)n;
        if (ec) {
          co_await answer_read_error(*core, *conn, ec);
          break;
        }
      }
      conn->stream.expires_never();

      Request req;
      req.message = parser.release();
      split_target(std::string_view(req.message.target().data(), req.message.target().size()),
                   req.path, req.query);
      req.received_wall_ms = received;
      SessionWriter writer(*core, *conn, req.message.version(), req.message.keep_alive(),
                           req.message.method() == http::verb::head);

      co_await (invoke_handler(core->handler, req, writer) || watch_disconnect(*conn));

      if (UpgradeFn take = writer.take_upgrade()) {
        // The connection leaves HTTP: the taker owns the socket from here (bytes the client
        // sent after the upgrade request, before any answer, break the protocol and are dropped).
        conn->busy = false;
        if (writer.client_gone()) break;
        conn->stream.expires_never();
        handed_over = true;
        take(conn->stream.release_socket(), std::move(req.message));
        break;
      }

      if (!writer.started() && !writer.client_gone()) {
        co_await writer.send(error_response(500, "server_error", "internal_error",
                                            "The server produced no response."));
      }
      conn->busy = false;
      if (!writer.completed() || writer.client_gone() || !writer.keep_alive() ||
          core->stopping.load())
        break;
    }
  } catch (const std::exception& e) {
    log::debug("http", std::string("connection ended: ") + e.what());
  }
  if (handed_over) co_return;
  boost::system::error_code ec;
  conn->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  conn->stream.close();
}

// Over the connection cap: answer 503 right away and close.
asio::awaitable<void> reject_connection(std::shared_ptr<Core> core, tcp::socket sock) {
  beast::tcp_stream stream(std::move(sock));
  try {
    auto res = error_response(503, "server_error", "server_overloaded",
                              "The server has too many open connections; retry shortly.");
    res.set(http::field::retry_after, "1");
    co_await write_and_close(stream, std::move(res),
                             std::min<int64_t>(core->limits.write_timeout_ms, 5000));
  } catch (const std::exception& e) {
    log::debug("http", std::string("reject failed: ") + e.what());
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<Core> core) {
  for (;;) {
    tcp::socket sock(asio::make_strand(core->ioc));
    auto [ec] = co_await core->acceptor.async_accept(sock, kTuple);
    if (ec) {
      if (core->stopping.load() || !core->acceptor.is_open()) co_return;
      log::warn("http", "accept failed: " + ec.message());
      asio::steady_timer pause(core->accept_strand, milliseconds(50));  // e.g. out of fds
      co_await pause.async_wait(kTuple);
      continue;
    }
    auto ex = sock.get_executor();
    if (core->active.load() >= static_cast<size_t>(core->limits.max_connections)) {
      asio::co_spawn(ex, reject_connection(core, std::move(sock)), asio::detached);
      continue;
    }
    boost::system::error_code nec;
    sock.set_option(tcp::no_delay(true), nec);
    core->active.fetch_add(1);
    auto conn = std::make_shared<Conn>(std::move(sock));
    uint64_t id = core->add(conn);
    asio::co_spawn(ex, run_session(core, conn, id), asio::detached);
  }
}

}  // namespace

HttpServer::HttpServer(asio::io_context& ioc, ServerLimits limits, Handler handler,
                       const Clock& clock)
    : core_(std::make_shared<Core>(ioc, limits, std::move(handler), clock)) {}

HttpServer::~HttpServer() {
  boost::system::error_code ec;
  core_->stopping = true;
  core_->acceptor.close(ec);
}

Result<tcp::endpoint> HttpServer::listen(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return make_error(ErrorCode::invalid_request, "invalid listen address '" + host + "'");
  tcp::endpoint ep(addr, port);
  auto& a = core_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    a.close(ignored);
    return make_error(ErrorCode::internal, ec.message());
  }
  auto bound = a.local_endpoint(ec);
  if (ec) return make_error(ErrorCode::internal, ec.message());
  return bound;
}

void HttpServer::start() {
  asio::co_spawn(core_->accept_strand, accept_loop(core_), asio::detached);
}

bool HttpServer::stopping() const { return core_->stopping.load(); }
size_t HttpServer::active_connections() const { return core_->active.load(); }

asio::awaitable<void> HttpServer::stop(milliseconds grace) {
  auto core = core_;
  core->stopping = true;
  asio::post(core->accept_strand, [core] {
    boost::system::error_code ec;
    core->acceptor.close(ec);
  });
  for (auto& conn : core->snapshot()) {
    asio::post(conn->stream.get_executor(), [conn] {
      if (conn->busy) return;  // finishes its request, then closes (stopping is set)
      boost::system::error_code ec;
      conn->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      conn->stream.close();
    });
  }
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (core->active.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(milliseconds(10));
    co_await timer.async_wait(kTuple);
  }
  if (core->active.load() > 0) {
    log::warn("http", std::to_string(core->active.load()) +
                          " connection(s) still busy after the grace period; closing them");
    for (auto& conn : core->snapshot()) {
      asio::post(conn->stream.get_executor(), [conn] {
        conn->force_closed = true;
        conn->gone = true;
        boost::system::error_code ec;
        conn->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        conn->stream.close();
      });
    }
    const auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (core->active.load() > 0 && std::chrono::steady_clock::now() < hard) {
      timer.expires_after(milliseconds(10));
      co_await timer.async_wait(kTuple);
    }
  }
}

}  // namespace sl::api
