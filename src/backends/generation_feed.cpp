#include "backends/generation_feed.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sl {
namespace asio = boost::asio;

template <class Handler>
class GenerationFeed::WaiterFor final : public GenerationFeed::Waiter {
 public:
  explicit WaiterFor(Handler handler) : handler_(std::move(handler)) {}
  // Always through the consumer's executor: the producer is a worker thread, and the
  // cancellation handler must not resume the coroutine inside the signal's emit.
  void complete(boost::system::error_code ec) override {
    auto ex = asio::get_associated_executor(handler_);
    asio::post(ex, [handler = std::move(handler_), ec]() mutable {
      asio::get_associated_cancellation_slot(handler).clear();
      std::move(handler)(ec);
    });
  }

 private:
  Handler handler_;
};

void GenerationFeed::push_text(std::string_view text) {
  if (text.empty()) return;
  WaiterPtr waiter;
  {
    std::lock_guard lock(mu_);
    text_.append(text);
    waiter.swap(waiter_);
  }
  if (waiter) waiter->complete({});
}

void GenerationFeed::finish(Result<engine::GenerationResult> result) {
  WaiterPtr waiter;
  {
    std::lock_guard lock(mu_);
    if (end_ || end_taken_) return;
    end_.emplace(std::move(result));
    waiter.swap(waiter_);
  }
  if (waiter) waiter->complete({});
}

bool GenerationFeed::finished() const {
  std::lock_guard lock(mu_);
  return end_.has_value() || end_taken_;
}

void GenerationFeed::abort() {
  stop_.request_stop();
  WaiterPtr waiter;
  {
    std::lock_guard lock(mu_);
    aborted_ = true;
    waiter.swap(waiter_);
  }
  if (waiter) waiter->complete(asio::error::operation_aborted);
}

void GenerationFeed::wait(WaiterPtr waiter) {
  std::unique_lock lock(mu_);
  if (aborted_) {
    lock.unlock();
    waiter->complete(asio::error::operation_aborted);
    return;
  }
  if (!text_.empty() || end_) {
    lock.unlock();
    waiter->complete({});
    return;
  }
  waiter_ = std::move(waiter);
}

asio::awaitable<Result<GenerationFeed::Batch>> GenerationFeed::next() {
  auto self = shared_from_this();
  auto initiate = [self](auto handler) {
    // The slot is the coroutine's: assigned and emitted on its executor, as this runs.
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([weak = std::weak_ptr<GenerationFeed>(self)](asio::cancellation_type type) {
        if (type == asio::cancellation_type::none) return;
        if (auto feed = weak.lock()) feed->abort();
      });
    }
    using H = decltype(handler);
    self->wait(std::make_unique<WaiterFor<H>>(std::move(handler)));
  };
  auto token = asio::as_tuple(asio::use_awaitable);
  auto [ec] = co_await asio::async_initiate<decltype(token), void(boost::system::error_code)>(initiate, token);
  if (ec) co_return make_error(ErrorCode::cancelled, "request cancelled");
  Batch batch;
  std::lock_guard lock(mu_);
  if (aborted_) co_return make_error(ErrorCode::cancelled, "request cancelled");
  batch.text.swap(text_);
  if (end_) {
    batch.end.swap(end_);
    end_taken_ = true;
  }
  co_return batch;
}

}  // namespace sl
