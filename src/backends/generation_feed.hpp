// GenerationFeed: the hand-over between one engine generation, which blocks on a worker thread,
// and the request's coroutine on a network thread. The worker pushes text pieces and then the
// result; the coroutine awaits next(), which completes as soon as there is text or the end
// (pieces that arrive while the coroutine is busy are coalesced, so a slow client slows nothing
// but itself). Cancelling the awaiting coroutine (Asio per-operation cancellation, e.g. the HTTP
// layer cancelling a handler whose client disconnected) completes next() with `cancelled` and
// fires the stop token the generation checks before every step.
//
// Threading: one producer thread (push_text, finish) and one consumer coroutine (next); the
// completion is posted to the consumer's executor, never run on the producer. request_stop() is
// safe from anywhere. Errors: next() returns `cancelled` when the coroutine was cancelled; the
// generation's own errors travel inside Batch::end.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "core/status.hpp"
#include "engine/engine.hpp"

namespace sl {

class GenerationFeed : public std::enable_shared_from_this<GenerationFeed> {
 public:
  struct Batch {
    std::string text;                                        // new text since the last batch
    std::optional<Result<engine::GenerationResult>> end;     // set once, with the last batch
  };

  static std::shared_ptr<GenerationFeed> create() {
    return std::shared_ptr<GenerationFeed>(new GenerationFeed());
  }

  // Producer side (the worker).
  void push_text(std::string_view text);
  void finish(Result<engine::GenerationResult> result);
  bool finished() const;

  // Consumer side (the coroutine): waits for text or the end.
  boost::asio::awaitable<Result<Batch>> next();

  std::stop_token stop_token() const { return stop_.get_token(); }
  void request_stop() { stop_.request_stop(); }

 private:
  // The suspended consumer: its completion handler, type-erased; complete() posts it to the
  // handler's own executor.
  class Waiter {
   public:
    virtual ~Waiter() = default;
    virtual void complete(boost::system::error_code ec) = 0;
  };
  template <class Handler>
  class WaiterFor;
  using WaiterPtr = std::unique_ptr<Waiter>;

  GenerationFeed() = default;
  void wait(WaiterPtr waiter);
  void abort();  // the consumer's coroutine was cancelled

  mutable std::mutex mu_;
  std::string text_;
  std::optional<Result<engine::GenerationResult>> end_;
  bool end_taken_ = false;
  bool aborted_ = false;
  WaiterPtr waiter_;
  std::stop_source stop_;
};

}  // namespace sl
