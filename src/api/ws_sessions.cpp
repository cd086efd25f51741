#include "api/ws_sessions.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/ws_session.hpp"
#include "core/log.hpp"

namespace sl::api {

namespace asio = boost::asio;

struct WsSessions::State {
  explicit State(WsSettings s) : settings(s) {}

  struct Entry {
    std::string owner;
    std::weak_ptr<WsSession> session;
  };

  const WsSettings settings;
  mutable std::mutex mu;
  uint64_t next_id = 1;
  std::map<uint64_t, Entry> entries;      // every counted session
  std::map<std::string, int> per_owner;   // sessions per known owner
  bool stopping = false;
  std::atomic<uint64_t> dropped{0};

  std::vector<std::shared_ptr<WsSession>> sessions() const {
    std::lock_guard lk(mu);
    std::vector<std::shared_ptr<WsSession>> out;
    for (const auto& [id, e] : entries)
      if (auto s = e.session.lock()) out.push_back(std::move(s));
    return out;
  }
};

namespace {

Error per_key_full(int limit) {
  return make_error(ErrorCode::rate_limited,
                    "This API key already has " + std::to_string(limit) +
                        " WebSocket sessions open (websocket.max_sessions_per_key).");
}

}  // namespace

WsSessions::WsSessions(WsSettings settings) : state_(std::make_shared<State>(settings)) {}

const WsSettings& WsSessions::settings() const { return state_->settings; }

Result<WsSessions::Slot> WsSessions::reserve(const std::string& owner) {
  State& s = *state_;
  std::lock_guard lk(s.mu);
  if (s.entries.size() >= static_cast<size_t>(s.settings.max_sessions))
    return make_error(ErrorCode::rate_limited,
                      "The server already has " + std::to_string(s.settings.max_sessions) +
                          " WebSocket sessions open (websocket.max_sessions); retry later.");
  if (!owner.empty()) {
    int& n = s.per_owner[owner];
    if (n >= s.settings.max_sessions_per_key) {
      if (n == 0) s.per_owner.erase(owner);
      return per_key_full(s.settings.max_sessions_per_key);
    }
    ++n;
  }
  const uint64_t id = s.next_id++;
  s.entries[id] = State::Entry{owner, {}};
  return Slot(state_, id, owner);
}

void WsSessions::close_all(uint16_t code, const std::string& reason) {
  for (auto& session : state_->sessions()) session->close(code, reason);
}

asio::awaitable<void> WsSessions::shutdown(std::chrono::milliseconds grace) {
  {
    std::lock_guard lk(state_->mu);
    state_->stopping = true;
  }
  close_all(ws_close::going_away, "server shutting down");
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto wait_until = [&](std::chrono::steady_clock::time_point deadline) -> asio::awaitable<void> {
    while (active() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(10));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  };
  co_await wait_until(std::chrono::steady_clock::now() + grace);
  if (active() == 0) co_return;
  log::warn("websocket", std::to_string(active()) +
                             " session(s) still open after the grace period; dropping them");
  for (auto& session : state_->sessions()) session->abort();
  co_await wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(2));
}

bool WsSessions::stopping() const {
  std::lock_guard lk(state_->mu);
  return state_->stopping;
}

size_t WsSessions::active() const {
  std::lock_guard lk(state_->mu);
  return state_->entries.size();
}

size_t WsSessions::active_for(const std::string& owner) const {
  std::lock_guard lk(state_->mu);
  auto it = state_->per_owner.find(owner);
  return it == state_->per_owner.end() ? 0 : static_cast<size_t>(it->second);
}

uint64_t WsSessions::dropped_total() const { return state_->dropped.load(); }

void WsSessions::report_to(Metrics& metrics) const {
  metrics.describe("websocket_sessions", Metrics::Type::gauge, "WebSocket sessions open now.");
  metrics.describe("websocket_messages_dropped_total", Metrics::Type::counter,
                   "Messages dropped by full WebSocket send queues (slow readers).");
  std::weak_ptr<State> weak = state_;
  metrics.add_collector([weak](MetricsWriter& out) {
    auto s = weak.lock();
    if (!s) return;
    size_t open = 0;
    {
      std::lock_guard lk(s->mu);
      open = s->entries.size();
    }
    out.sample("websocket_sessions", {}, static_cast<double>(open));
    out.sample("websocket_messages_dropped_total", {}, static_cast<double>(s->dropped.load()));
  });
}

// Slot.

WsSessions::Slot::Slot(std::shared_ptr<State> state, uint64_t id, std::string owner)
    : state_(std::move(state)), id_(id), owner_(std::move(owner)) {}

WsSessions::Slot::Slot(Slot&& other) noexcept
    : state_(std::move(other.state_)), id_(other.id_), owner_(std::move(other.owner_)) {
  other.state_.reset();
}

WsSessions::Slot& WsSessions::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    id_ = other.id_;
    owner_ = std::move(other.owner_);
    other.state_.reset();
  }
  return *this;
}

WsSessions::Slot::~Slot() { release(); }

void WsSessions::Slot::release() {
  if (!state_) return;
  {
    std::lock_guard lk(state_->mu);
    state_->entries.erase(id_);
    if (!owner_.empty()) {
      auto it = state_->per_owner.find(owner_);
      if (it != state_->per_owner.end() && --it->second <= 0) state_->per_owner.erase(it);
    }
  }
  state_.reset();
}

Status WsSessions::Slot::claim(const std::string& owner) {
  if (!state_ || !owner_.empty())
    return make_error(ErrorCode::internal, "WebSocket slot released or already claimed");
  std::lock_guard lk(state_->mu);
  int& n = state_->per_owner[owner];
  if (n >= state_->settings.max_sessions_per_key) {
    if (n == 0) state_->per_owner.erase(owner);
    return per_key_full(state_->settings.max_sessions_per_key);
  }
  ++n;
  owner_ = owner;
  if (auto it = state_->entries.find(id_); it != state_->entries.end()) it->second.owner = owner;
  return {};
}

bool WsSessions::Slot::attach(std::weak_ptr<WsSession> session) {
  if (!state_) return false;
  std::lock_guard lk(state_->mu);
  if (state_->stopping) return false;
  if (auto it = state_->entries.find(id_); it != state_->entries.end())
    it->second.session = std::move(session);
  return true;
}

void WsSessions::Slot::count_dropped(uint64_t n) {
  if (state_) state_->dropped.fetch_add(n);
}

}  // namespace sl::api
