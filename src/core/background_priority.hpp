// Background threads at a lower CPU priority. The media pool (re-decoding old frames, building
// clips and segments) and the renderer's GOP-decoding helpers can keep every core busy; the
// network threads that answer live-edge requests (one JPEG encode at most) must not wait behind
// them for CPU. Lowering the pool threads' Linux nice value makes the scheduler prefer the
// network and ingest threads whenever both are runnable, without capping the pool when the
// machine is otherwise idle.
// lower_pool_priority() runs one task on each of the pool's `threads` threads (they meet at a
// latch, so no thread takes two) and returns when all have raised their nice value by `nice`
// (up to 19); call it once, right after making the pool, with its exact thread count. nice <= 0
// does nothing. Failures
// (a sandbox that refuses setpriority) are ignored: priority is a preference, not a contract.
#pragma once

#include <boost/asio/thread_pool.hpp>

namespace sl {

void lower_pool_priority(boost::asio::thread_pool& pool, int threads, int nice);

}  // namespace sl
