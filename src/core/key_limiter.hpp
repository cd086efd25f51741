// KeyLimiter: at most N operations in flight per key (an API key's owner id), e.g. Chat
// Completions, each of which holds an upstream connection and media work. try_acquire() hands
// out an RAII slot or nothing; the slot releases on destruction, also when a coroutine holding
// it is destroyed. A limit <= 0 means no limit. Thread-safe; the limiter must outlive its slots.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sl {

class KeyLimiter {
 public:
  explicit KeyLimiter(int64_t max_per_key) : max_(max_per_key) {}
  KeyLimiter(const KeyLimiter&) = delete;
  KeyLimiter& operator=(const KeyLimiter&) = delete;

  class Slot {
   public:
    Slot(Slot&& o) noexcept : owner_(o.owner_), key_(std::move(o.key_)) { o.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot() {
      if (owner_) owner_->release(key_);
    }

   private:
    friend class KeyLimiter;
    Slot(KeyLimiter* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    KeyLimiter* owner_;
    std::string key_;
  };

  std::optional<Slot> try_acquire(const std::string& key) {
    std::lock_guard lk(mu_);
    int64_t& n = in_flight_[key];
    if (max_ > 0 && n >= max_) return std::nullopt;
    ++n;
    return Slot(this, key);
  }

  int64_t in_flight(const std::string& key) const {
    std::lock_guard lk(mu_);
    auto it = in_flight_.find(key);
    return it == in_flight_.end() ? 0 : it->second;
  }
  int64_t limit() const { return max_; }

 private:
  void release(const std::string& key) {
    std::lock_guard lk(mu_);
    auto it = in_flight_.find(key);
    if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
  }

  const int64_t max_;
  mutable std::mutex mu_;
  std::map<std::string, int64_t> in_flight_;
};

}  // namespace sl
