#include "core/background_priority.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <future>
#include <mutex>
#include <set>

#include <boost/asio/post.hpp>

namespace sl {
namespace {

int my_nice() {
  errno = 0;
  return getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
}

// Nice values of the threads that run `tasks` tasks posted to the pool, by thread id.
std::set<std::pair<long, int>> nice_by_thread(boost::asio::thread_pool& pool, int tasks) {
  std::mutex mu;
  std::set<std::pair<long, int>> seen;
  std::vector<std::future<void>> done;
  for (int i = 0; i < tasks; ++i) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    boost::asio::post(pool, [&, p] {
      {
        std::lock_guard lk(mu);
        seen.insert({::syscall(SYS_gettid), my_nice()});
      }
      p->set_value();  // after unlocking: the caller may return and destroy `mu` at once
    });
  }
  for (auto& f : done) f.wait();
  return seen;
}

TEST(BackgroundPriority, EveryPoolThreadIsLoweredAndTheCallerIsNot) {
  const int before = my_nice();
  if (before >= 19) GTEST_SKIP() << "already at the lowest priority";
  boost::asio::thread_pool pool(3);
  lower_pool_priority(pool, 3, 5);
  const int want = std::min(19, before + 5);  // relative to the caller's, capped at 19
  for (const auto& [tid, nice] : nice_by_thread(pool, 30)) EXPECT_EQ(nice, want) << "thread " << tid;
  EXPECT_EQ(my_nice(), before);
  pool.join();
}

TEST(BackgroundPriority, ZeroLeavesThePoolAlone) {
  const int before = my_nice();
  boost::asio::thread_pool pool(2);
  lower_pool_priority(pool, 2, 0);
  for (const auto& [tid, nice] : nice_by_thread(pool, 10)) EXPECT_EQ(nice, before) << "thread " << tid;
  pool.join();
}

}  // namespace
}  // namespace sl
