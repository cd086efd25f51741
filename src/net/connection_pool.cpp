#include "net/connection_pool.hpp"

#include <algorithm>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace sl::net {

namespace asio = boost::asio;

struct ConnectionPool::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  bool woken = false;  // under the pool's mutex
};

// ---- Lease ------------------------------------------------------------------------------

Lease::Lease(std::shared_ptr<ConnectionPool> pool, PoolKey key, std::unique_ptr<Connection> connection,
             bool reused)
    : pool_(std::move(pool)), key_(std::move(key)), connection_(std::move(connection)), reused_(reused) {}

Lease::Lease(Lease&& other) noexcept
    : pool_(std::move(other.pool_)),
      key_(std::move(other.key_)),
      connection_(std::move(other.connection_)),
      reused_(other.reused_) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    finish(false);
    pool_ = std::move(other.pool_);
    key_ = std::move(other.key_);
    connection_ = std::move(other.connection_);
    reused_ = other.reused_;
  }
  return *this;
}

Lease::~Lease() { finish(false); }

void Lease::finish(bool reusable) {
  if (!pool_) return;
  auto pool = std::move(pool_);
  pool_.reset();
  pool->release(key_, std::move(connection_), reusable);
}

// ---- ConnectionPool -----------------------------------------------------------------------

std::shared_ptr<ConnectionPool> ConnectionPool::create(PoolSettings settings) {
  return std::shared_ptr<ConnectionPool>(new ConnectionPool(settings));
}

ConnectionPool::~ConnectionPool() = default;

void ConnectionPool::wake_one_locked(KeyState& state) {
  if (state.waiters.empty()) return;
  auto waiter = std::move(state.waiters.front());
  state.waiters.pop_front();
  waiter->woken = true;
  // The timer is the waiter's: cancel it on its own executor, not from this thread.
  asio::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
}

void ConnectionPool::sweep_locked(SteadyClock::time_point now,
                                  std::vector<std::unique_ptr<Connection>>& closing) {
  const auto max_idle_age = std::chrono::milliseconds(settings_.idle_timeout_ms);
  for (auto it = keys_.begin(); it != keys_.end();) {
    KeyState& state = it->second;
    while (!state.idle.empty() && now - state.idle.front().since >= max_idle_age) {
      closing.push_back(std::move(state.idle.front().connection));
      state.idle.pop_front();
      --state.open;
      wake_one_locked(state);
    }
    if (state.open == 0 && state.waiters.empty()) {
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
}

asio::awaitable<Outcome<Lease>> ConnectionPool::acquire(PoolKey key, bool reuse,
                                                        SteadyClock::time_point until) {
  auto executor = co_await asio::this_coro::executor;
  for (;;) {
    std::shared_ptr<Waiter> waiter;
    std::vector<std::unique_ptr<Connection>> closing;  // closed after the lock is released
    {
      std::lock_guard lock(mu_);
      sweep_locked(SteadyClock::now(), closing);
      KeyState& state = keys_[key];
      // Newest first: the one least likely to have been closed by the peer meanwhile.
      while (reuse && !state.idle.empty()) {
        std::unique_ptr<Connection> candidate = std::move(state.idle.back().connection);
        state.idle.pop_back();
        if (candidate->looks_reusable()) {
          ++stats_.reused;
          co_return Lease(shared_from_this(), key, std::move(candidate), true);
        }
        closing.push_back(std::move(candidate));
        --state.open;
      }
      const int max_open = std::max(settings_.max_connections_per_host, 1);
      if (!reuse && state.open >= max_open && !state.idle.empty()) {
        // A fresh connection is asked for and idle ones fill the key: the oldest makes room.
        closing.push_back(std::move(state.idle.front().connection));
        state.idle.pop_front();
        --state.open;
      }
      if (state.open < max_open) {
        ++state.open;
        ++stats_.opened;
        co_return Lease(shared_from_this(), key, nullptr, false);
      }
      waiter = std::make_shared<Waiter>(executor);
      waiter->timer.expires_at(until);
      state.waiters.push_back(waiter);
    }
    closing.clear();
    auto [ec] = co_await waiter->timer.async_wait(use_tuple);
    bool woken = false;
    {
      std::lock_guard lock(mu_);
      woken = waiter->woken;
      if (!woken) {
        auto it = keys_.find(key);
        if (it != keys_.end()) std::erase(it->second.waiters, waiter);
      }
    }
    if (woken) continue;
    co_return classify(Phase::wait_pool, ec ? ec : asio::error::timed_out);
  }
}

void ConnectionPool::release(const PoolKey& key, std::unique_ptr<Connection> connection,
                             bool reusable) {
  std::vector<std::unique_ptr<Connection>> closing;
  bool pooled = false;
  {
    std::lock_guard lock(mu_);
    KeyState& state = keys_[key];
    const bool keep = reusable && connection && connection->context_alive() &&
                      settings_.max_idle_per_host > 0;
    if (keep) {
      if (static_cast<int>(state.idle.size()) >= settings_.max_idle_per_host) {
        closing.push_back(std::move(state.idle.front().connection));
        state.idle.pop_front();
        --state.open;
      }
      state.idle.push_back(Idle{std::move(connection), SteadyClock::now()});
      pooled = true;
    } else {
      closing.push_back(std::move(connection));
      --state.open;
    }
    wake_one_locked(state);
    sweep_locked(SteadyClock::now(), closing);
  }
  // Outside the pool's lock: the watch calls back into drop_context under its own.
  if (pooled && key.context != nullptr) {
    watch_context(*const_cast<asio::execution_context*>(key.context), weak_from_this());
  }
}

void ConnectionPool::drop_context(const asio::execution_context* context) {
  std::vector<std::unique_ptr<Connection>> closing;
  std::lock_guard lock(mu_);
  for (auto& [key, state] : keys_) {
    if (key.context != context) continue;
    for (Idle& idle : state.idle) closing.push_back(std::move(idle.connection));
    state.open -= static_cast<int>(state.idle.size());
    state.idle.clear();
  }
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mu_);
  PoolStats out = stats_;
  for (const auto& [key, state] : keys_) out.idle += static_cast<int64_t>(state.idle.size());
  return out;
}

}  // namespace sl::net
