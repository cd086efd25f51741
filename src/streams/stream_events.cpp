#include "streams/stream_events.hpp"

#include <algorithm>

namespace sl {
namespace {

bool is_final(SourceState s) { return s == SourceState::ended || s == SourceState::failed; }

}  // namespace

Subscription EventHub::subscribe(StreamEventListener listener) {
  std::optional<SourceEvent> final_event;
  uint64_t id = 0;
  {
    std::lock_guard lk(state_->mu);
    if (state_->final_event) {
      final_event = state_->final_event;
    } else {
      id = state_->next_id++;
      state_->listeners.emplace(id, std::move(listener));
    }
  }
  if (final_event) {
    listener(*final_event);
    return Subscription();
  }
  std::weak_ptr<State> weak = state_;
  return Subscription([weak, id] {
    if (auto state = weak.lock()) {
      std::lock_guard lk(state->mu);
      state->listeners.erase(id);
    }
  });
}

void EventHub::publish(const SourceEvent& event) {
  std::vector<StreamEventListener> targets;
  {
    std::lock_guard lk(state_->mu);
    if (state_->final_event) return;
    for (auto& [id, l] : state_->listeners) targets.push_back(l);
    if (is_final(event.state)) {
      state_->final_event = event;
      state_->listeners.clear();  // nothing follows a final event
    }
  }
  for (auto& l : targets) l(event);
}

bool EventHub::final_sent() const {
  std::lock_guard lk(state_->mu);
  return state_->final_event.has_value();
}

Subscription FrameHub::subscribe(std::shared_ptr<FrameConsumer> consumer) {
  if (!consumer) return Subscription();
  FrameConsumer* key = consumer.get();
  {
    std::lock_guard lk(state_->mu);
    auto next = std::make_shared<List>(*state_->list);
    next->push_back(std::move(consumer));
    state_->list = std::move(next);
  }
  std::weak_ptr<State> weak = state_;
  return Subscription([weak, key] {
    auto state = weak.lock();
    if (!state) return;
    std::lock_guard lk(state->mu);
    auto next = std::make_shared<List>(*state->list);
    next->erase(std::remove_if(next->begin(), next->end(),
                               [key](const auto& c) { return c.get() == key; }),
                next->end());
    state->list = std::move(next);
  });
}

void FrameHub::publish(int64_t index, const FrameArrival& frame) const {
  std::shared_ptr<const List> list;
  {
    std::lock_guard lk(state_->mu);
    list = state_->list;
  }
  for (const auto& c : *list) c->on_frame(index, frame);
}

size_t FrameHub::consumers() const {
  std::lock_guard lk(state_->mu);
  return state_->list->size();
}

}  // namespace sl
