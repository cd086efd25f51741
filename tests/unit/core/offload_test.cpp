#include "core/offload.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

namespace sl {
namespace {

namespace asio = boost::asio;

// The work runs on a pool thread and the coroutine comes back to its own thread: the old
// `co_await post(pool, use_awaitable)` silently ran the work on the caller's thread.
TEST(Offload, RunsOnThePoolAndResumesAtHome) {
  asio::io_context io;
  asio::thread_pool pool(1);
  std::thread::id work_thread, resumed_thread;
  int result = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto work = [&] {
          work_thread = std::this_thread::get_id();
          return 42;
        };
        result = co_await offload(pool.get_executor(), work);
        resumed_thread = std::this_thread::get_id();
      },
      asio::detached);
  io.run();
  pool.join();
  EXPECT_EQ(result, 42);
  EXPECT_NE(work_thread, std::this_thread::get_id());
  EXPECT_EQ(resumed_thread, std::this_thread::get_id());
}

TEST(Offload, ExceptionsComeBackToTheCaller) {
  asio::io_context io;
  asio::thread_pool pool(1);
  bool caught = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          auto work = []() -> int { throw std::runtime_error("x"); };
          co_await offload(pool.get_executor(), work);
        } catch (const std::runtime_error&) {
          caught = true;
        }
      },
      asio::detached);
  io.run();
  pool.join();
  EXPECT_TRUE(caught);
}

// Issue 6, item 1: a caller cancelled (client gone) while the work runs must neither crash the
// process (Boost 1.81's co_spawn rethrew on the pool thread: std::terminate) nor touch freed
// memory. The work owns its inputs; the caller sees the cancellation only at its next await.
TEST(Offload, CancellingTheCallerMidWorkIsSafe) {
  for (int round = 0; round < 50; ++round) {
    asio::io_context io;
    asio::thread_pool pool(2);
    asio::cancellation_signal cancel;
    std::atomic<bool> started{false};
    auto input = std::make_shared<std::vector<int>>(1000, 1);
    asio::co_spawn(
        io,
        [&, input]() -> asio::awaitable<void> {
          auto work = [input, &started] {
            started = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            int s = 0;
            for (int v : *input) s += v;
            return s;
          };
          int sum = co_await offload(pool.get_executor(), work);
          EXPECT_EQ(sum, 1000);
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    std::thread canceller([&] {
      while (!started) std::this_thread::yield();
      asio::post(io, [&] { cancel.emit(asio::cancellation_type::all); });
    });
    io.run();
    canceller.join();
    pool.join();
  }
}

// Shutdown: the caller's executor stops before the result arrives (the app stops its
// io_context, joins the media pool, then destroys the io_context); the work still ends cleanly
// and the never-resumed coroutine is destroyed with the io_context.
TEST(Offload, CallerExecutorStoppedWhileWorking) {
  std::atomic<bool> done{false};
  asio::io_context io;
  asio::thread_pool pool(1);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto work = [&done, data = std::make_shared<int>(7)] {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          done = true;
          return *data;
        };
        co_await offload(pool.get_executor(), work);
        ADD_FAILURE() << "resumed after the executor was stopped";
      },
      asio::detached);
  io.run_for(std::chrono::milliseconds(1));
  io.stop();
  pool.join();
  EXPECT_TRUE(done);
}

// The shape that GCC 12 miscompiled when passed as a prvalue: captures with real destructors.
TEST(Offload, LambdaWithOwningCaptures) {
  asio::io_context io;
  asio::thread_pool pool(1);
  size_t got = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        std::string text = "a string long enough to live on the heap, not in SSO";
        auto work = [s = std::string("short"), text, v = std::vector<int>(100, 1)] {
          return s.size() + text.size() + v.size();
        };
        got = co_await offload(pool.get_executor(), work);
      },
      asio::detached);
  io.run();
  pool.join();
  EXPECT_EQ(got, 5u + 52u + 100u);
}

}  // namespace
}  // namespace sl
