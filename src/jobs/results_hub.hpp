// ResultsHub: where the job runner publishes each run's result message, per stream id, and
// where readers (the stream WebSocket in api/stream_socket) subscribe. Data flows one way:
// jobs publishes, api listens; jobs knows nothing of sockets.
// A payload is serialized once and shared immutable by every reader. Ownership checks are the
// subscriber's business (the socket route checks the key before it subscribes).
// Threading: subscribe/publish/unsubscribe are thread-safe; listeners run on the publishing
// thread, outside the hub's lock, and must only hand the payload over (WsHandle::send posts).
// A listener may still run once while its Subscription ends on another thread: capture weak
// references. The hub must outlive every Subscription it handed out only if they are reset
// while it lives; ends hold a weak reference, so a late reset is harmless.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/subscription.hpp"

namespace sl::jobs {

using ResultPayload = std::shared_ptr<const std::string>;
using ResultListener = std::function<void(const ResultPayload&)>;

class ResultsHub {
 public:
  ResultsHub() : state_(std::make_shared<State>()) {}

  Subscription subscribe(const std::string& stream_id, ResultListener listener);
  // Delivers to every current subscriber of `stream_id`; returns how many there were.
  size_t publish(const std::string& stream_id, const ResultPayload& payload) const;
  size_t subscribers(const std::string& stream_id) const;

 private:
  struct State {
    mutable std::mutex mu;
    uint64_t next_id = 1;
    std::map<std::string, std::map<uint64_t, std::shared_ptr<const ResultListener>>> listeners;
  };
  std::shared_ptr<State> state_;
};

}  // namespace sl::jobs
