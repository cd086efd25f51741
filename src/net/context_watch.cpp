#include "net/context_watch.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

namespace sl::net {

namespace asio = boost::asio;

namespace {

class ContextWatch final : public asio::execution_context::service {
 public:
  using key_type = ContextWatch;
  static inline asio::execution_context::id id;

  explicit ContextWatch(asio::execution_context& context)
      : asio::execution_context::service(context), alive_(std::make_shared<std::atomic<bool>>(true)) {}

  std::shared_ptr<std::atomic<bool>> alive() const { return alive_; }

  void add(std::weak_ptr<ContextUser> user) {
    std::lock_guard lock(mu_);
    users_.erase(std::remove_if(users_.begin(), users_.end(),
                                [&](const std::weak_ptr<ContextUser>& u) {
                                  return u.expired() || (!u.owner_before(user) && !user.owner_before(u));
                                }),
                 users_.end());
    users_.push_back(std::move(user));
  }

 private:
  void shutdown() override {
    alive_->store(false);
    std::vector<std::weak_ptr<ContextUser>> users;
    {
      std::lock_guard lock(mu_);
      users.swap(users_);
    }
    for (auto& weak : users) {
      if (auto user = weak.lock()) user->drop_context(&context());
    }
  }

  std::shared_ptr<std::atomic<bool>> alive_;
  std::mutex mu_;
  std::vector<std::weak_ptr<ContextUser>> users_;
};

}  // namespace

std::shared_ptr<std::atomic<bool>> context_alive_flag(asio::execution_context& context) {
  return asio::use_service<ContextWatch>(context).alive();
}

void watch_context(asio::execution_context& context, std::weak_ptr<ContextUser> user) {
  asio::use_service<ContextWatch>(context).add(std::move(user));
}

}  // namespace sl::net
