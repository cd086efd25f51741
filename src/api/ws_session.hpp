// WsSession: one WebSocket connection after the HTTP upgrade (Boost.Beast websocket over the
// connection's socket), from the opening handshake to the end.
//
// Lifetime: owned by the operations in flight (each holds shared_from_this); producers hold a
// WsHandle (weak). Threading: everything that touches the stream, the send queue or the
// callbacks runs on the socket's executor, which must be a strand (HttpServer gives every
// connection one); send(), close(), abort() and stats() may be called from any thread and post
// onto it.
//
// Sending: one write in flight; messages behind it wait in a queue capped by count
// (max_queue_messages) and bytes (max_queue_bytes). A message that does not fit drops the
// oldest queued ones (a message larger than max_queue_bytes is itself dropped); drops are
// counted. Past max_drops_in_a_row drops since the client last took a message, or a write
// pending longer than send_timeout_ms, the client is too slow: the queue is discarded and the
// session closes with 1013. So memory per session is bounded by the queue caps plus one message.
//
// Closing: close() sends what is queued, then the close frame; close_timeout_ms after the close
// began the socket is dropped whatever the client does. Idle clients are pinged and closed per
// idle_timeout_ms (Beast's stream timeouts).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "api/auth.hpp"
#include "api/http_types.hpp"
#include "api/ws_handle.hpp"
#include "api/ws_route.hpp"
#include "api/ws_sessions.hpp"
#include "api/ws_settings.hpp"

namespace sl::api {

// What a new session needs besides its socket.
struct WsStart {
  WsSettings settings;
  WsSessions::Slot slot;
  // owner (empty while first-message authentication is pending), params, route, query, id.
  WsOpen open;
  WsHandler handler;
  // Set when the client must authenticate with its first message; must outlive the session.
  const KeyRing* first_message_keys = nullptr;
};

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  // Answers `request` (the upgrade) on `socket` and runs the session; returns at once.
  static WsHandle start(boost::asio::ip::tcp::socket socket,
                        http::request<http::string_body> request,
                        WsStart start);

  WsSession(boost::asio::ip::tcp::socket socket, WsStart start);  // use start()
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  bool send(WsPayload payload, bool binary);
  void close(uint16_t code, std::string reason);
  void abort();  // drops the connection now, without a close frame
  WsStats stats() const;
  bool ended() const { return ended_.load(); }

 private:
  enum class Phase { handshake, auth, open, closing, ended };
  struct Outgoing {
    WsPayload data;
    bool binary = false;
  };

  static boost::asio::awaitable<void> run(
      std::shared_ptr<WsSession> self,
      http::request<http::string_body> request);
  boost::asio::awaitable<void> serve(
      http::request<http::string_body>& request);
  void authenticate(const std::string& message, bool binary);
  void open();
  void enqueue(Outgoing message);
  void drop(uint64_t n);
  void pump();
  void on_write(const boost::system::error_code& ec);
  void begin_close(uint16_t code, std::string reason, bool flush);
  void send_close();
  void teardown();
  void finish();
  void discard_queue();
  void publish();  // copies the strand's counters into stats_ (end of every strand step)

  // Set once, read anywhere.
  const boost::asio::any_io_executor executor_;
  const WsSettings settings_;
  const KeyRing* const first_message_keys_;

  // Strand only.
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  WsSessions::Slot slot_;
  WsOpen open_;
  WsHandler handler_;
  boost::asio::steady_timer auth_timer_;
  boost::asio::steady_timer send_timer_;
  boost::asio::steady_timer close_timer_;
  Phase phase_ = Phase::handshake;
  bool opened_ = false;  // the handler ran: on_close is owed
  std::deque<Outgoing> queue_;
  size_t queued_bytes_ = 0;
  Outgoing in_flight_;
  bool writing_ = false;
  uint64_t write_seq_ = 0;
  bool flush_on_close_ = false;
  bool close_sent_ = false;
  int drops_in_a_row_ = 0;
  WsClose close_;

  uint64_t accepted_ = 0;
  uint64_t written_ = 0;
  uint64_t dropped_ = 0;

  // Any thread: the cheap no-op test in send(), and the last published stats.
  std::atomic<bool> closing_{false};
  std::atomic<bool> ended_{false};
  mutable std::mutex stats_mu_;
  WsStats stats_;
};

}  // namespace sl::api
