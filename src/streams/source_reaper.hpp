// SourceReaper: stops ended streams' sources on its own thread. Stopping a network source joins
// its thread, which can take as long as an FFmpeg read timeout; DELETE, lease expiry and budget
// enforcement run on network threads and must not wait for that. Each job holds its stream
// alive until the source has stopped (the source thread writes into the stream's store).
// Thread-safe; the destructor stops what is queued, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "ingest/source.hpp"

namespace sl {

class Stream;

class SourceReaper {
 public:
  SourceReaper();
  ~SourceReaper();
  SourceReaper(const SourceReaper&) = delete;
  SourceReaper& operator=(const SourceReaper&) = delete;

  void stop(std::shared_ptr<Stream> owner, std::shared_ptr<Source> source);
  // Blocks until every source handed over so far has stopped.
  void drain();

 private:
  struct Job {
    std::shared_ptr<Stream> owner;
    std::shared_ptr<Source> source;
  };
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Job> jobs_;
  bool busy_ = false;
  bool quit_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace sl
