// guarded(): exceptions escaping a coroutine become error values (cancelled / internal).
#include "core/guarded.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace sl {
namespace {

namespace asio = boost::asio;

template <class T>
T run_coro(asio::awaitable<T> a) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, std::move(a), asio::use_future);
  ioc.run();
  return fut.get();
}

void run_coro(asio::awaitable<void> a) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, std::move(a), asio::use_future);
  ioc.run();
  fut.get();
}

asio::awaitable<void> succeeds() { co_return; }
asio::awaitable<void> throws_logic() {
  throw std::logic_error("boom");
  co_return;
}
asio::awaitable<void> is_cancelled() {
  throw boost::system::system_error(asio::error::operation_aborted);
  co_return;
}
asio::awaitable<void> io_fails() {
  throw boost::system::system_error(asio::error::connection_reset);
  co_return;
}
asio::awaitable<Result<int>> gives(int v) { co_return v; }
asio::awaitable<Status> refuses() { co_return make_error(ErrorCode::invalid_request, "no"); }
asio::awaitable<Status> throws_for_status() {
  throw boost::system::system_error(asio::error::operation_aborted);
  co_return Status();
}
asio::awaitable<Result<int>> throws_for_result() {
  throw std::runtime_error("bad");
  co_return 0;
}

// Result<int> has no default value, which run_coro's future needs: keep it in an optional.
std::optional<Result<int>> run_result(asio::awaitable<Result<int>> a) {
  std::optional<Result<int>> out;
  auto body = [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(a)); };
  run_coro(body());
  return out;
}

TEST(Guarded, PassesSuccessThrough) {
  EXPECT_TRUE(run_coro(guarded(succeeds(), "test", "work")).ok());
  auto r = run_result(guarded(gives(7), "test", "work"));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(**r, 7);
}

TEST(Guarded, CancellationIsCancelled) {
  Status st = run_coro(guarded(is_cancelled(), "test", "work"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::cancelled);
  EXPECT_EQ(st.error().message, "work cancelled");
}

TEST(Guarded, AnyOtherExceptionIsInternal) {
  Status st = run_coro(guarded(throws_logic(), "test", "work"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::internal);
  EXPECT_EQ(st.error().message, "work failed: boom");

  Status io = run_coro(guarded(io_fails(), "test", "work"));
  ASSERT_FALSE(io.ok());
  EXPECT_EQ(io.error().code, ErrorCode::internal);

  auto r = run_result(guarded(throws_for_result(), "test", "work"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, ErrorCode::internal);
}

TEST(Guarded, StatusWorkKeepsItsOwnErrorAndGuardsExceptions) {
  Status own = run_coro(guarded(refuses(), "test", "work"));
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error().code, ErrorCode::invalid_request);
  EXPECT_EQ(own.error().message, "no");

  Status cancelled = run_coro(guarded(throws_for_status(), "test", "work"));
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().code, ErrorCode::cancelled);
}

}  // namespace
}  // namespace sl
