// Internal to jobs/: the state a job's coroutine shares with the runner (job_runner.cpp) and
// the code of one run (job_run.cpp). Not for other modules.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "jobs/job_runner.hpp"

namespace sl::jobs {

// What every job's coroutine needs; shared_ptr so a coroutine outliving the runner is safe.
struct JobRunner::Context {
  JobSettings settings;
  JobRunnerDeps deps;
  std::atomic<int> in_flight{0};  // runs going over all streams
  // Metric cells (null without a Metrics).
  MetricCell* runs_ok = nullptr;
  MetricCell* runs_failed = nullptr;
  MetricCell* skips_busy = nullptr;
  MetricCell* skips_saturated = nullptr;
  MetricCell* running = nullptr;
  HistogramCell* total_latency = nullptr;
  HistogramCell* inference_latency = nullptr;

  bool try_acquire() {
    if (in_flight.fetch_add(1) >= settings.max_concurrent_runs) {
      in_flight.fetch_sub(1);
      return false;
    }
    if (running) running->add(1);
    return true;
  }
  void release() {
    in_flight.fetch_sub(1);
    if (running) running->add(-1);
  }
};

struct JobRunner::Job {
  Job(std::string owner_, std::string stream_id_, JobSpec spec_,
      boost::asio::strand<boost::asio::any_io_executor> strand_)
      : owner(std::move(owner_)), stream_id(std::move(stream_id_)), spec(std::move(spec_)),
        strand(strand_), timer(strand_), prompt(spec.prompt) {}

  const std::string owner;
  const std::string stream_id;
  const JobSpec spec;  // its prompt is the initial one; `prompt` below is current
  boost::asio::strand<boost::asio::any_io_executor> strand;
  boost::asio::steady_timer timer;  // touched on `strand` only
  std::atomic<bool> stopped{false};
  std::atomic<int64_t> runs{0}, failures{0}, skips{0};

  mutable std::mutex mu;  // guards what follows
  std::string prompt;
  std::optional<int64_t> last_result_at_ms;
  std::vector<Subscription> held;

  std::string current_prompt() const {
    std::lock_guard lk(mu);
    return prompt;
  }
  JobStats stats() const {
    JobStats s;
    s.mode = spec.mode;
    s.model = spec.model;
    s.period_ms = spec.period_ms();
    s.runs = runs.load();
    s.failures = failures.load();
    s.skips = skips.load();
    std::lock_guard lk(mu);
    s.prompt = prompt;
    s.last_result_at_ms = last_result_at_ms;
    return s;
  }
};

// One run: select, render, call, check, publish. Returns false when nothing ran because the
// stream has no frame yet (or is gone), true when a result was published (or dropped because
// the job stopped meanwhile).
boost::asio::awaitable<bool> run_job_once(std::shared_ptr<JobRunner::Context> ctx,
                                          std::shared_ptr<JobRunner::Job> job);

}  // namespace sl::jobs
