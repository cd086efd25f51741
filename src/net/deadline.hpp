// Time limits of one exchange: a total deadline, and per phase a limit of its own (connect,
// first byte, idle gap between body reads); a phase gets whichever ends first and remembers
// which one it was, so a timeout can say which limit it hit. `within` runs one Asio operation
// against such a time point on the caller's executor (a timer raced with the operation; the
// loser is cancelled), so nothing outlives the coroutine and no timer runs on another strand.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sl::net {

using SteadyClock = std::chrono::steady_clock;

inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

class Deadline {
 public:
  explicit Deadline(int64_t total_ms)
      : end_(SteadyClock::now() + std::chrono::milliseconds(std::max<int64_t>(total_ms, 1))) {}

  // The end of a phase that may last `phase_ms`, or the total deadline if that is sooner.
  SteadyClock::time_point phase_until(int64_t phase_ms) {
    const auto phase_end = SteadyClock::now() + std::chrono::milliseconds(std::max<int64_t>(phase_ms, 1));
    total_binds_ = end_ <= phase_end;
    return std::min(end_, phase_end);
  }
  bool total_binds() const { return total_binds_; }
  SteadyClock::time_point end() const { return end_; }

 private:
  SteadyClock::time_point end_;
  bool total_binds_ = false;
};

// Runs `op` (an operation with as_tuple(use_awaitable)) until `until`; past it the operation is
// cancelled and the result's error is asio::error::timed_out. Cancellation of the caller reaches
// the operation as usual (operation_aborted).
template <class... Ts>
boost::asio::awaitable<std::tuple<boost::system::error_code, Ts...>> within(
    boost::asio::awaitable<std::tuple<boost::system::error_code, Ts...>> op,
    SteadyClock::time_point until) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, until);
  auto raced = co_await (std::move(op) || timer.async_wait(use_tuple));
  if (raced.index() == 0) co_return std::move(std::get<0>(raced));
  std::tuple<boost::system::error_code, Ts...> out{};
  const auto [timer_ec] = std::get<1>(raced);
  std::get<0>(out) = timer_ec ? timer_ec : boost::system::error_code(boost::asio::error::timed_out);
  co_return out;
}

}  // namespace sl::net
