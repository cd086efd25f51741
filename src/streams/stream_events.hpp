// The fan-out points of one stream: lifecycle events (EventHub) and frames (FrameHub), for the
// readers that come and go while the stream lives: WebSocket sessions, continuous jobs, an
// engine that encodes frames as they arrive.
//
// EventHub contract: listeners see every state change (connecting, active, reconnecting) and
// then exactly one final event (ended or failed, with end_reason: the source's, or ours:
// deleted, lease_expired, shutdown, quota_exceeded); nothing after it. Subscribing after the
// final event delivers it at once, on the caller's thread.
// FrameHub contract: consumers see every frame after the store indexed it, on the source thread.
// Threading: subscribe/publish are thread-safe. Listeners and consumers run outside the hub's
// lock, so one may still be running (once) while its Subscription ends on another thread:
// capture weak references, never raw pointers to things the unsubscriber then destroys.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/media_sink.hpp"
#include "core/subscription.hpp"

namespace sl {

using StreamEventListener = std::function<void(const SourceEvent&)>;

class EventHub {
 public:
  EventHub() : state_(std::make_shared<State>()) {}
  Subscription subscribe(StreamEventListener listener);
  // Forwards `event` unless the final one went out already.
  void publish(const SourceEvent& event);
  bool final_sent() const;

 private:
  struct State {
    mutable std::mutex mu;
    uint64_t next_id = 1;
    std::map<uint64_t, StreamEventListener> listeners;
    std::optional<SourceEvent> final_event;
  };
  std::shared_ptr<State> state_;
};

class FrameHub {
 public:
  FrameHub() : state_(std::make_shared<State>()) {}
  Subscription subscribe(std::shared_ptr<FrameConsumer> consumer);
  void publish(int64_t index, const FrameArrival& frame) const;
  size_t consumers() const;

 private:
  using List = std::vector<std::shared_ptr<FrameConsumer>>;
  struct State {
    mutable std::mutex mu;
    // Copy-on-write: the source thread takes a snapshot per frame without copying the list.
    std::shared_ptr<const List> list = std::make_shared<const List>();
  };
  std::shared_ptr<State> state_;
};

// The MediaSink a stream's source writes into: everything goes on to `next` (the second keeper
// in front of the store); then frames go to the FrameHub and source events to the EventHub.
class StreamSink final : public MediaSink {
 public:
  StreamSink(MediaSink& next, EventHub& events, FrameHub& frames)
      : next_(next), events_(events), frames_(frames) {}

  uint64_t on_packet(const Packet& packet) override { return next_.on_packet(packet); }
  int64_t on_frame(const FrameArrival& frame) override {
    const int64_t index = next_.on_frame(frame);
    if (index >= 0) frames_.publish(index, frame);
    return index;
  }
  void on_source_event(const SourceEvent& event) override {
    next_.on_source_event(event);
    events_.publish(event);
  }
  void on_decode_error() override { next_.on_decode_error(); }
  void on_reconnect() override { next_.on_reconnect(); }

 private:
  MediaSink& next_;
  EventHub& events_;
  FrameHub& frames_;
};

}  // namespace sl
