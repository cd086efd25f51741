// The limits of WebSocket sessions (docs/configuration.md, section `websocket`, documents each).
// Plain values; the app embeds this struct in its config and the api module reads it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sl::api {

struct WsSettings {
  // Concurrent sessions, all keys together / per API key. Beyond: 429 before the upgrade, or
  // close 1013 once a first-message key turns out to be over its cap.
  int max_sessions = 1024;
  int max_sessions_per_key = 64;
  // A session's send queue (messages waiting behind the one being written), capped by count
  // and by bytes; a full queue drops its oldest message.
  size_t max_queue_messages = 64;
  size_t max_queue_bytes = 4u << 20;
  // Past this many messages dropped since the client last took one, or a single write pending
  // for longer than send_timeout_ms, the client is too slow: close 1013.
  int max_drops_in_a_row = 256;
  int64_t send_timeout_ms = 30'000;
  // Largest message a client may send (larger: closed with 1009 by the protocol layer).
  size_t max_message_bytes = 1u << 20;
  // First-message authentication ({"api_key": "..."}) must arrive within this time (else 1008).
  int64_t auth_timeout_ms = 10'000;
  // Opening handshake limit; idle: no frame from the client for this long closes the session
  // (a ping is sent at half of it, and browsers answer pings on their own).
  int64_t handshake_timeout_ms = 30'000;
  int64_t idle_timeout_ms = 300'000;
  // From close() to the socket being dropped: flushing the queue and the closing handshake.
  int64_t close_timeout_ms = 5'000;
};

}  // namespace sl::api
