// Subscription: the handle a subscribe call returns. Destroying (or reset()ting) it ends the
// subscription, so every "begin" has exactly one "end", error paths included. Move-only; an
// empty Subscription does nothing. The end function must be safe to run after the publisher is
// gone (publishers hand out ends that hold a weak reference).
#pragma once

#include <functional>
#include <utility>

namespace sl {

class Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::function<void()> end) : end_(std::move(end)) {}
  ~Subscription() { reset(); }
  Subscription(Subscription&& o) noexcept : end_(std::exchange(o.end_, nullptr)) {}
  Subscription& operator=(Subscription&& o) noexcept {
    if (this != &o) {
      reset();
      end_ = std::exchange(o.end_, nullptr);
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  void reset() {
    if (auto end = std::exchange(end_, nullptr)) end();
  }
  explicit operator bool() const { return static_cast<bool>(end_); }

 private:
  std::function<void()> end_;
};

}  // namespace sl
