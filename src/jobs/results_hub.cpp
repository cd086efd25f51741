#include "jobs/results_hub.hpp"

#include <vector>

namespace sl::jobs {

Subscription ResultsHub::subscribe(const std::string& stream_id, ResultListener listener) {
  uint64_t id = 0;
  {
    std::lock_guard lk(state_->mu);
    id = state_->next_id++;
    state_->listeners[stream_id][id] = std::make_shared<const ResultListener>(std::move(listener));
  }
  std::weak_ptr<State> weak = state_;
  return Subscription([weak, stream_id, id] {
    auto state = weak.lock();
    if (!state) return;
    std::lock_guard lk(state->mu);
    auto it = state->listeners.find(stream_id);
    if (it == state->listeners.end()) return;
    it->second.erase(id);
    if (it->second.empty()) state->listeners.erase(it);
  });
}

size_t ResultsHub::publish(const std::string& stream_id, const ResultPayload& payload) const {
  std::vector<std::shared_ptr<const ResultListener>> targets;
  {
    std::lock_guard lk(state_->mu);
    auto it = state_->listeners.find(stream_id);
    if (it == state_->listeners.end()) return 0;
    targets.reserve(it->second.size());
    for (const auto& [id, l] : it->second) targets.push_back(l);
  }
  for (const auto& l : targets) (*l)(payload);
  return targets.size();
}

size_t ResultsHub::subscribers(const std::string& stream_id) const {
  std::lock_guard lk(state_->mu);
  auto it = state_->listeners.find(stream_id);
  return it == state_->listeners.end() ? 0 : it->second.size();
}

}  // namespace sl::jobs
