// offload(pool, fn): run blocking work (decoding, JPEG/MP4 encoding) on a worker pool from a
// coroutine, and resume that coroutine on its own executor with fn's result.
//
// Why not the two obvious idioms:
// - `co_await asio::post(pool, use_awaitable)` does not move the coroutine: Asio posts through
//   the pool but dispatches the completion on the coroutine's executor, so the "offloaded" work
//   ran on the network thread (issue 6: /healthz stalled behind re-decoding).
// - `co_spawn(pool, ..., use_awaitable)` forwards the caller's cancellation into the child, and
//   Boost 1.81's co_spawn entry point co_awaits a post after the child returns: when the caller
//   was cancelled meanwhile (client gone, shutdown), that throws on the pool thread and
//   std::terminate()s the process (issue 6: remote crash).
//
// Pass a named lambda (`auto work = [..] {..}; co_await offload(pool, work);`): fn is taken by
// lvalue reference and moved from, because GCC 12 miscompiles a lambda prvalue with non-trivial
// captures passed to a coroutine inside a co_await expression (its captures are destroyed from
// the wrong address: "free(): invalid pointer"); the reference parameter makes that a compile
// error instead.
//
// Contract: fn must own everything it touches (capture by value or shared_ptr): if the caller's
// coroutine is destroyed (its executor stopped during shutdown), fn still runs to the end on the
// pool. The wait is not cancellable (CPU work cannot be interrupted); exceptions thrown by fn are
// rethrown in the caller's coroutine. fn runs exactly once, or never if the pool is stopped
// before it starts. With an empty pool executor fn runs inline.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sl {

template <class Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> offload(boost::asio::any_io_executor pool,
                                                          Fn& work) {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<Fn&>;
  static_assert(!std::is_void_v<R>, "offload needs a result value");
  if (!pool) co_return work();
  Fn fn = std::move(work);

  auto initiate = [pool](auto handler, Fn work_fn) {
    // Keeps the caller's executor alive until the result is delivered to it.
    auto home = asio::make_work_guard(asio::get_associated_executor(handler));
    asio::post(pool, [work_fn = std::move(work_fn), handler = std::move(handler),
                      home = std::move(home)]() mutable {
      std::exception_ptr failure;
      std::optional<R> out;
      try {
        out.emplace(work_fn());
      } catch (...) {
        failure = std::current_exception();
      }
      auto ex = home.get_executor();
      asio::post(ex, [handler = std::move(handler), failure, out = std::move(out)]() mutable {
        std::move(handler)(failure, std::move(out));
      });
      home.reset();
    });
  };
  std::optional<R> out =
      co_await asio::async_initiate<const asio::use_awaitable_t<>&,
                                    void(std::exception_ptr, std::optional<R>)>(
          std::move(initiate), asio::use_awaitable, std::move(fn));
  co_return std::move(*out);
}

}  // namespace sl
