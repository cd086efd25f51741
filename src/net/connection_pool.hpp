// Keep-alive connections per upstream. A pool key is (execution context, scheme, host, port,
// TLS settings): a connection is only ever reused for the same place, with the same trust, on
// the I/O context its socket belongs to. Per key at most `max_connections_per_host` are open
// (idle + in use; one more request waits for a free one until its connect deadline) and at most
// `max_idle_per_host` wait idle, each for at most `idle_timeout_ms` (checked whenever the pool is
// touched, and before reuse the socket is probed for a peer that hung up). The pool never
// decides reuse itself: whoever holds a Lease says whether the exchange left the connection
// reusable (net/http_client.cpp: request fully sent, response fully read, no Connection: close).
// Thread-safe; a Lease belongs to one coroutine.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution_context.hpp>

#include "net/connection.hpp"
#include "net/context_watch.hpp"
#include "net/pool_settings.hpp"
#include "net/tls_context.hpp"

namespace sl::net {

struct PoolKey {
  const boost::asio::execution_context* context = nullptr;
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  TlsSettings tls_settings;
  auto operator<=>(const PoolKey&) const = default;
};

struct PoolStats {
  int64_t opened = 0;   // connections handed out empty (the caller connected)
  int64_t reused = 0;   // idle connections handed out again
  int64_t idle = 0;     // idle now, all keys
};

class ConnectionPool;

// A right to one connection of a key: either an idle one from the pool, or empty until the
// holder connects and attaches one. finish() (or the destructor) gives the connection back
// when reusable, otherwise closes it, and frees the slot either way.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();

  Connection* connection() const { return connection_.get(); }
  bool reused() const { return reused_; }
  void attach(std::unique_ptr<Connection> connection) { connection_ = std::move(connection); }
  void finish(bool reusable);

 private:
  friend class ConnectionPool;
  Lease(std::shared_ptr<ConnectionPool> pool, PoolKey key, std::unique_ptr<Connection> connection,
        bool reused);

  std::shared_ptr<ConnectionPool> pool_;
  PoolKey key_;
  std::unique_ptr<Connection> connection_;
  bool reused_ = false;
};

class ConnectionPool final : public ContextUser, public std::enable_shared_from_this<ConnectionPool> {
 public:
  static std::shared_ptr<ConnectionPool> create(PoolSettings settings);
  ~ConnectionPool() override;

  // A lease for `key` (with an idle connection when `reuse` and one is fit), waiting while the
  // key is at max_connections_per_host until `until` (then timeout in Phase::wait_pool).
  boost::asio::awaitable<Outcome<Lease>> acquire(PoolKey key, bool reuse,
                                                 SteadyClock::time_point until);

  PoolStats stats() const;
  void drop_context(const boost::asio::execution_context* context) override;

 private:
  struct Idle {
    std::unique_ptr<Connection> connection;
    SteadyClock::time_point since;
  };
  struct Waiter;
  struct KeyState {
    std::deque<Idle> idle;  // oldest first
    int open = 0;           // idle + leased
    std::deque<std::shared_ptr<Waiter>> waiters;
  };
  friend class Lease;

  explicit ConnectionPool(PoolSettings settings) : settings_(settings) {}
  void release(const PoolKey& key, std::unique_ptr<Connection> connection, bool reusable);
  // With mu_ held: closes (into `closing`) idle connections past the idle timeout, wakes
  // waiters for the freed slots, forgets empty keys.
  void sweep_locked(SteadyClock::time_point now, std::vector<std::unique_ptr<Connection>>& closing);
  void wake_one_locked(KeyState& state);

  const PoolSettings settings_;
  mutable std::mutex mu_;
  std::map<PoolKey, KeyState> keys_;
  PoolStats stats_;
};

}  // namespace sl::net
