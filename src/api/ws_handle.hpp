// WsHandle: what producers hold to talk to one WebSocket session from any thread. It is a weak
// reference: it never keeps a finished session alive, and every call on a session that has
// ended (or is closing) is a no-op. send() hands an immutable shared payload to the session's
// executor, which alone touches the send queue (ws_session.hpp has the queue policy), so one
// payload serialized once can go to many sessions. Messages sent from one thread arrive in the
// order sent (some may be dropped by the queue policy, never reordered).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sl::api {

using WsPayload = std::shared_ptr<const std::string>;

// Close codes used by the server (RFC 6455 section 7.4.1).
namespace ws_close {
inline constexpr uint16_t normal = 1000;
inline constexpr uint16_t going_away = 1001;        // server shutting down, stream ended
inline constexpr uint16_t policy_violation = 1008;  // authentication failed
inline constexpr uint16_t internal_error = 1011;
inline constexpr uint16_t try_again_later = 1013;   // too slow a reader, too many sessions
}  // namespace ws_close

// A consistent snapshot of a session's counters, readable from any thread. At every moment
// accepted == written + dropped + queued_messages + (writing ? 1 : 0).
struct WsStats {
  size_t queued_messages = 0;  // waiting behind the message being written
  size_t queued_bytes = 0;
  bool writing = false;        // one message is being written
  uint64_t accepted = 0;       // messages that reached the session while it was open
  uint64_t written = 0;        // messages the client has taken (write completed)
  uint64_t dropped = 0;        // never delivered: pushed out of a full queue, or still queued
                               // when the session closed without flushing
  bool open = false;           // authenticated and not closing
  uint16_t close_code = 0;     // once closing: the code sent or received
};

// How a session ended, for on_close.
struct WsClose {
  uint16_t code = 0;        // 1006 (abnormal) when the connection dropped without a close frame
  std::string reason;
  bool by_server = false;   // the server (close(), a limit, shutdown) started the close
};

class WsSession;

class WsHandle {
 public:
  WsHandle() = default;
  explicit WsHandle(std::weak_ptr<WsSession> session) : session_(std::move(session)) {}

  // Queues a text (or binary) message. False when the session has ended or is closing: nothing
  // was queued. True does not mean delivered: a full queue drops its oldest message.
  bool send(WsPayload payload, bool binary = false) const;
  bool send_text(std::string text) const;
  // Starts the closing handshake (code and reason as sent to the client; the reason is cut to
  // 123 bytes). Messages already queued still go out first; close_timeout_ms bounds the whole.
  void close(uint16_t code, std::string reason) const;

  bool alive() const;   // not yet ended (it may be closing)
  WsStats stats() const;  // all zero once the session is gone

 private:
  std::weak_ptr<WsSession> session_;
};

}  // namespace sl::api
