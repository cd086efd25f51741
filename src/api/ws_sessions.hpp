// WsSessions: the server's WebSocket sessions as a whole. It counts them against the caps
// (WsSettings::max_sessions, all keys together, and max_sessions_per_key), lists them so that
// shutdown can close each one with 1001 "server shutting down", and sums what metrics report
// (websocket_sessions, websocket_messages_dropped_total).
//
// A session holds a Slot from reserve() until it has ended; the slot keeps the shared counting
// state alive, so the registry may be destroyed before its last session (the app shuts down
// first anyway). Thread-safe: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "api/ws_settings.hpp"
#include "core/metrics.hpp"
#include "core/status.hpp"

namespace sl::api {

class WsSession;

class WsSessions {
  struct State;

 public:
  explicit WsSessions(WsSettings settings);
  WsSessions(const WsSessions&) = delete;
  WsSessions& operator=(const WsSessions&) = delete;

  const WsSettings& settings() const;

  // One counted session (move-only; releases its place when destroyed or released).
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

    // Counts this session under `owner` once a first-message key has been checked. Error
    // rate_limited when that key already has max_sessions_per_key sessions.
    Status claim(const std::string& owner);
    const std::string& owner() const { return owner_; }
    // Lists the session for close_all(); false once shutdown has begun (the session must then
    // close itself with 1001).
    bool attach(std::weak_ptr<WsSession> session);
    void count_dropped(uint64_t n);
    void release();

   private:
    friend class WsSessions;
    Slot(std::shared_ptr<State> state, uint64_t id, std::string owner);
    std::shared_ptr<State> state_;
    uint64_t id_ = 0;
    std::string owner_;  // empty until known (first-message authentication)
  };

  // A place for a new session. `owner` is empty when the key arrives later in the first message:
  // such a slot counts against the global cap only until claim(). Error rate_limited (naming the
  // setting) when a cap is reached.
  Result<Slot> reserve(const std::string& owner);

  // Starts closing every session (any thread; returns at once).
  void close_all(uint16_t code, const std::string& reason);
  // Refuses new sessions from now on, closes every session with 1001 "server shutting down",
  // waits up to `grace` for them to end, then drops the connections of any left.
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds grace);
  bool stopping() const;

  size_t active() const;
  size_t active_for(const std::string& owner) const;
  uint64_t dropped_total() const;

  // Describes and collects websocket_sessions (gauge) and websocket_messages_dropped_total.
  void report_to(Metrics& metrics) const;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace sl::api
