#include "api/ws_session.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/json/parse.hpp>

#include "core/guarded.hpp"
#include "core/log.hpp"

namespace sl::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using std::chrono::milliseconds;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr size_t kMaxCloseReasonBytes = 123;  // RFC 6455 5.5: 125-byte control payload
constexpr uint16_t kAbnormalClose = 1006;

// The first message of a first-message-authenticated session: {"api_key": "..."}.
std::optional<std::string> api_key_of(const std::string& message) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(message, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const boost::json::value* key = v.get_object().if_contains("api_key");
  if (!key || !key->is_string()) return std::nullopt;
  return std::string(key->get_string());
}

}  // namespace

const std::string& WsOpen::param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

// WsHandle.

bool WsHandle::send(WsPayload payload, bool binary) const {
  auto s = session_.lock();
  return s && s->send(std::move(payload), binary);
}

bool WsHandle::send_text(std::string text) const {
  return send(std::make_shared<const std::string>(std::move(text)), false);
}

void WsHandle::close(uint16_t code, std::string reason) const {
  if (auto s = session_.lock()) s->close(code, std::move(reason));
}

bool WsHandle::alive() const {
  auto s = session_.lock();
  return s && !s->ended();
}

WsStats WsHandle::stats() const {
  auto s = session_.lock();
  return s ? s->stats() : WsStats{};
}

// WsSession.

WsHandle WsSession::start(tcp::socket socket, http::request<http::string_body> request,
                          WsStart start) {
  auto session = std::make_shared<WsSession>(std::move(socket), std::move(start));
  WsHandle handle(session);
  auto ex = session->executor_;
  asio::co_spawn(ex, run(std::move(session), std::move(request)), asio::detached);
  return handle;
}

WsSession::WsSession(tcp::socket socket, WsStart start)
    : executor_(socket.get_executor()),
      settings_(start.settings),
      first_message_keys_(start.first_message_keys),
      ws_(std::move(socket)),
      slot_(std::move(start.slot)),
      open_(std::move(start.open)),
      handler_(std::move(start.handler)),
      auth_timer_(executor_),
      send_timer_(executor_),
      close_timer_(executor_) {}

bool WsSession::send(WsPayload payload, bool binary) {
  if (!payload || closing_.load()) return false;
  asio::post(executor_, [self = shared_from_this(), m = Outgoing{std::move(payload), binary}]() mutable {
    self->enqueue(std::move(m));
  });
  return true;
}

void WsSession::close(uint16_t code, std::string reason) {
  if (closing_.load()) return;
  asio::post(executor_, [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->begin_close(code, std::move(reason), true);
  });
}

void WsSession::abort() {
  asio::post(executor_, [self = shared_from_this()] { self->teardown(); });
}

WsStats WsSession::stats() const {
  std::lock_guard lk(stats_mu_);
  return stats_;
}

asio::awaitable<void> WsSession::run(std::shared_ptr<WsSession> self,
                                     http::request<http::string_body> request) {
  // Listed before the handshake so that shutdown also reaches sessions still authenticating.
  if (!self->slot_.attach(self))
    self->begin_close(ws_close::going_away, "server shutting down", false);
  Status st = co_await guarded(self->serve(request), "websocket", "session");
  if (!st.ok()) self->teardown();
  self->finish();
}

asio::awaitable<void> WsSession::serve(http::request<http::string_body>& request) {
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = milliseconds(settings_.handshake_timeout_ms);
  timeouts.idle_timeout = milliseconds(settings_.idle_timeout_ms);
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(settings_.max_message_bytes);
  ws_.set_option(websocket::stream_base::decorator(
      [id = open_.request_id](websocket::response_type& res) {
        res.set(http::field::server, "sightline");
        res.set("X-Request-Id", id);
      }));

  auto [accept_ec] = co_await ws_.async_accept(request, kTuple);
  if (accept_ec) {
    log::debug("websocket", "handshake failed: " + accept_ec.message());
    co_return;
  }
  if (phase_ == Phase::closing) {
    send_close();  // closed during the handshake (shutdown)
  } else if (first_message_keys_) {
    phase_ = Phase::auth;
    auth_timer_.expires_after(milliseconds(settings_.auth_timeout_ms));
    auth_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && self->phase_ == Phase::auth)
        self->begin_close(ws_close::policy_violation,
                          "authentication timed out: send {\"api_key\": \"...\"} first", false);
    });
  } else {
    open();
  }

  // Reads until the connection ends; while closing it drains what the client still sends so
  // that the client's close frame is seen.
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws_.async_read(buffer, kTuple);
    (void)n;
    if (ec) {
      if (ec != websocket::error::closed && ec != asio::error::operation_aborted)
        log::debug("websocket", "read ended: " + ec.message());
      break;
    }
    std::string data = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    const bool binary = ws_.got_binary();
    if (phase_ == Phase::auth) {
      auth_timer_.cancel();
      authenticate(data, binary);
    } else if (phase_ == Phase::open && open_.on_message) {
      open_.on_message(std::move(data), binary);
    }
  }
}

void WsSession::authenticate(const std::string& message, bool binary) {
  std::optional<std::string> key;
  if (!binary) key = api_key_of(message);
  if (!key) {
    begin_close(ws_close::policy_violation, "the first message must be {\"api_key\": \"...\"}",
                false);
    return;
  }
  auto owner = first_message_keys_->authenticate_key(*key);
  if (!owner.ok()) {
    begin_close(ws_close::policy_violation, "invalid api key", false);
    return;
  }
  if (Status claimed = slot_.claim(*owner); !claimed.ok()) {
    begin_close(ws_close::try_again_later, "too many sessions for this api key", false);
    return;
  }
  open_.owner = std::move(*owner);
  open();
}

void WsSession::open() {
  phase_ = Phase::open;
  opened_ = true;
  publish();
  open_.session = WsHandle(weak_from_this());
  if (handler_) handler_(open_);
  handler_ = nullptr;
  pump();
}

void WsSession::enqueue(Outgoing m) {
  if (phase_ != Phase::open) return;  // closed meanwhile (or not open yet: nothing to say)
  ++accepted_;
  const size_t size = m.data->size();
  if (size > settings_.max_queue_bytes) {
    drop(1);
  } else {
    uint64_t dropped = 0;
    while (!queue_.empty() && (queue_.size() >= settings_.max_queue_messages ||
                               queued_bytes_ + size > settings_.max_queue_bytes)) {
      queued_bytes_ -= queue_.front().data->size();
      queue_.pop_front();
      ++dropped;
    }
    queue_.push_back(std::move(m));
    queued_bytes_ += size;
    if (dropped) drop(dropped);
  }
  if (drops_in_a_row_ > settings_.max_drops_in_a_row) {
    begin_close(ws_close::try_again_later, "client too slow: messages dropped", false);
    return;
  }
  pump();
  publish();
}

void WsSession::drop(uint64_t n) {
  dropped_ += n;
  drops_in_a_row_ += static_cast<int>(std::min<uint64_t>(n, 1u << 20));
  slot_.count_dropped(n);
}

void WsSession::discard_queue() {
  if (!queue_.empty()) {
    dropped_ += queue_.size();
    slot_.count_dropped(queue_.size());
  }
  queue_.clear();
  queued_bytes_ = 0;
}

void WsSession::pump() {
  if (writing_ || queue_.empty() || close_sent_) return;
  if (phase_ != Phase::open && !(phase_ == Phase::closing && flush_on_close_)) return;
  in_flight_ = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= in_flight_.data->size();
  writing_ = true;
  const uint64_t seq = ++write_seq_;
  if (settings_.send_timeout_ms > 0) {
    send_timer_.expires_after(milliseconds(settings_.send_timeout_ms));
    send_timer_.async_wait([self = shared_from_this(), seq](const boost::system::error_code& ec) {
      if (!ec && self->writing_ && self->write_seq_ == seq)
        self->begin_close(ws_close::try_again_later, "client too slow: send timed out", false);
    });
  }
  ws_.binary(in_flight_.binary);
  ws_.async_write(asio::buffer(*in_flight_.data),
                  [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                    self->on_write(ec);
                  });
}

void WsSession::on_write(const boost::system::error_code& ec) {
  writing_ = false;
  in_flight_ = {};
  send_timer_.cancel();
  if (ec) {
    ++dropped_;  // not taken by the client
    slot_.count_dropped(1);
    publish();
    teardown();  // the read loop ends too, and finish() follows
    return;
  }
  ++written_;
  drops_in_a_row_ = 0;
  if (phase_ == Phase::closing && queue_.empty()) send_close();
  else pump();
  publish();
}

void WsSession::begin_close(uint16_t code, std::string reason, bool flush) {
  if (phase_ == Phase::closing || phase_ == Phase::ended) return;
  const Phase before = phase_;
  phase_ = Phase::closing;
  closing_ = true;
  if (reason.size() > kMaxCloseReasonBytes) reason.resize(kMaxCloseReasonBytes);
  close_ = WsClose{code, std::move(reason), true};
  auth_timer_.cancel();
  flush_on_close_ = flush && before == Phase::open;
  if (!flush_on_close_) discard_queue();
  publish();
  close_timer_.expires_after(milliseconds(settings_.close_timeout_ms));
  close_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && self->phase_ != Phase::ended) self->teardown();
  });
  if (before == Phase::handshake) return;  // serve() sends the close once the handshake is done
  if (!flush_on_close_ || (!writing_ && queue_.empty())) send_close();
  else pump();
}

void WsSession::send_close() {
  if (close_sent_) return;
  close_sent_ = true;
  websocket::close_reason reason(close_.code);
  reason.reason = close_.reason;
  // A close while a write is pending is allowed (Beast runs it after the write); the close
  // handshake completes in the read loop, which then ends.
  ws_.async_close(reason, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) self->teardown();
  });
}

void WsSession::teardown() {
  boost::system::error_code ec;
  auto& sock = beast::get_lowest_layer(ws_).socket();
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

void WsSession::finish() {
  const bool closed_by_server = phase_ == Phase::closing;
  phase_ = Phase::ended;
  closing_ = true;
  auth_timer_.cancel();
  send_timer_.cancel();
  close_timer_.cancel();
  discard_queue();
  if (!closed_by_server) {
    const websocket::close_reason& peer = ws_.reason();
    close_ = WsClose{peer.code != 0 ? static_cast<uint16_t>(peer.code) : kAbnormalClose,
                     std::string(peer.reason.data(), peer.reason.size()), false};
  }
  publish();
  teardown();
  open_.on_message = nullptr;
  auto on_close = std::move(open_.on_close);
  open_.on_close = nullptr;
  slot_.release();
  ended_ = true;
  if (opened_ && on_close) {
    try {
      on_close(close_);
    } catch (const std::exception& e) {
      log::error("websocket", std::string("on_close failed: ") + e.what());
    }
  }
}

void WsSession::publish() {
  WsStats s;
  s.queued_messages = queue_.size();
  s.queued_bytes = queued_bytes_;
  s.writing = writing_;
  s.accepted = accepted_;
  s.written = written_;
  s.dropped = dropped_;
  s.open = phase_ == Phase::open;
  s.close_code = phase_ == Phase::closing || phase_ == Phase::ended ? close_.code : 0;
  std::lock_guard lk(stats_mu_);
  stats_ = s;
}

}  // namespace sl::api
