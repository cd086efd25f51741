#include "core/background_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <latch>
#include <memory>

#include <boost/asio/post.hpp>

namespace sl {

void lower_pool_priority(boost::asio::thread_pool& pool, int threads, int nice) {
  if (nice <= 0 || threads <= 0) return;
  // Shared: the tasks outlive this frame only if the pool never runs them, which join() rules out.
  auto all_running = std::make_shared<std::latch>(threads);
  auto all_done = std::make_shared<std::latch>(threads);
  for (int i = 0; i < threads; ++i) {
    boost::asio::post(pool, [all_running, all_done, nice] {
      // On Linux, nice is per thread: PRIO_PROCESS with a thread id sets only that thread.
      // Relative to what the thread has (a server started under `nice` stays below it).
      const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
      const int now = getpriority(PRIO_PROCESS, tid);
      (void)setpriority(PRIO_PROCESS, tid, std::min(19, now + nice));
      all_running->arrive_and_wait();  // each thread takes exactly one of these tasks
      all_done->count_down();
    });
  }
  all_done->wait();
}

}  // namespace sl
