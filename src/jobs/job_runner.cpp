#include "jobs/job_runner.hpp"

#include <chrono>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "refs/grid_sampling.hpp"
#include "jobs/grid_prerender.hpp"
#include "jobs/job_schedule.hpp"
#include "jobs/job_state.hpp"

namespace sl::jobs {
namespace asio = boost::asio;
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

SteadyClock::time_point at_ms(int64_t ms) {
  return SteadyClock::time_point(std::chrono::milliseconds(ms));
}

void count_skips(JobRunner::Context& ctx, JobRunner::Job& job, int64_t n, bool saturated) {
  if (n <= 0) return;
  job.skips.fetch_add(n);
  if (MetricCell* c = saturated ? ctx.skips_saturated : ctx.skips_busy) c->add(static_cast<double>(n));
}

// The job's life: wait for the due instant, run inline (or skip when the runner is full), work
// out the next due instant from when the run ended. Runs on the job's strand.
asio::awaitable<void> job_loop(std::shared_ptr<JobRunner::Context> ctx,
                               std::shared_ptr<JobRunner::Job> job) {
  const int64_t period = job->spec.period_ms();
  const int64_t gap = ctx->settings.min_gap_ms;
  int64_t due = steady_now_ms() + (period > 0 ? period : gap);
  try {
    while (!job->stopped.load()) {
      job->timer.expires_at(at_ms(due));
      boost::system::error_code ec;
      co_await job->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (job->stopped.load()) break;
      if (!ctx->try_acquire()) {
        count_skips(*ctx, *job, 1, true);
        due = next_due(due, period, steady_now_ms(), gap).at;
        continue;
      }
      bool ran = false;
      try {
        ran = co_await run_job_once(ctx, job);
      } catch (...) {
        ctx->release();
        throw;
      }
      ctx->release();
      const NextDue next = next_due(due, period, steady_now_ms(), gap);
      if (ran) count_skips(*ctx, *job, next.skipped, false);
      due = next.at;
    }
  } catch (const std::exception& e) {
    log::error("jobs", job->stream_id + ": job stopped by an exception: " + e.what());
  } catch (...) {
    log::error("jobs", job->stream_id + ": job stopped by an unknown exception");
  }
}

void end_job(const std::shared_ptr<JobRunner::Job>& job) {
  job->stopped.store(true);
  asio::post(job->strand, [job] { job->timer.cancel(); });
  std::vector<Subscription> held;
  {
    std::lock_guard lk(job->mu);
    held.swap(job->held);
  }
  held.clear();  // outside the job's lock
}

}  // namespace

JobRunner::JobRunner(JobSettings settings, JobRunnerDeps deps)
    : ctx_(std::make_shared<Context>()) {
  ctx_->settings = settings;
  ctx_->deps = std::move(deps);
  if (Metrics* m = ctx_->deps.metrics) {
    m->describe("sightline_job_runs_total", Metrics::Type::counter,
                "Continuous-inference runs that sent a result, by result (ok, error).");
    m->describe("sightline_job_skips_total", Metrics::Type::counter,
                "Continuous-inference runs skipped: busy (the stream's previous run was still "
                "going) or saturated (jobs.max_concurrent_runs runs were going).");
    m->describe("sightline_job_runs_in_flight", Metrics::Type::gauge,
                "Continuous-inference runs going now.");
    m->describe("sightline_job_total_latency_seconds", Metrics::Type::histogram,
                "Capture of a run's newest frame to its result sent.");
    m->describe("sightline_job_inference_latency_seconds", Metrics::Type::histogram,
                "A run's backend call.");
    ctx_->runs_ok = &m->counter("sightline_job_runs_total", {{"result", "ok"}});
    ctx_->runs_failed = &m->counter("sightline_job_runs_total", {{"result", "error"}});
    ctx_->skips_busy = &m->counter("sightline_job_skips_total", {{"reason", "busy"}});
    ctx_->skips_saturated = &m->counter("sightline_job_skips_total", {{"reason", "saturated"}});
    ctx_->running = &m->gauge("sightline_job_runs_in_flight", {});
    ctx_->total_latency = &m->histogram("sightline_job_total_latency_seconds", {});
    ctx_->inference_latency = &m->histogram("sightline_job_inference_latency_seconds", {});
  }
}

JobRunner::~JobRunner() { stop_all(); }

const JobLimits& JobRunner::limits() const { return ctx_->settings.limits; }

void JobRunner::start(const std::string& owner, const std::string& stream_id, JobSpec spec) {
  auto job = std::make_shared<Job>(owner, stream_id, std::move(spec),
                                   asio::make_strand(ctx_->deps.io));
  std::shared_ptr<Job> old;
  {
    std::lock_guard lk(mu_);
    auto& slot = jobs_[stream_id];
    old = std::move(slot);
    slot = job;
  }
  if (old) end_job(old);
  log::info("jobs", stream_id + ": " + to_string(job->spec.mode) + " job every " +
                        std::to_string(job->spec.period_ms()) + " ms");
  asio::co_spawn(job->strand, job_loop(ctx_, job), asio::detached);
}

void JobRunner::hold(const std::string& stream_id, Subscription held) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lk(mu_);
    auto it = jobs_.find(stream_id);
    if (it != jobs_.end()) job = it->second;
  }
  if (!job) return;  // `held` ends here
  std::lock_guard lk(job->mu);
  if (!job->stopped.load()) job->held.push_back(std::move(held));
}

std::shared_ptr<FrameConsumer> JobRunner::make_prerender(const std::string& owner,
                                                         const std::string& stream_id,
                                                         const JobSpec& spec) const {
  if (spec.mode != JobMode::clip || !ctx_->deps.media_pool) return nullptr;
  return std::make_shared<GridPrerender>(
      *ctx_->deps.media, ctx_->deps.media_pool, owner, stream_id,
      grid_period_ms(spec.target_fps, std::nullopt, spec.clip_length_ms),
      ctx_->settings.jpeg_quality);
}

void JobRunner::stop(const std::string& stream_id) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lk(mu_);
    auto it = jobs_.find(stream_id);
    if (it == jobs_.end()) return;
    job = std::move(it->second);
    jobs_.erase(it);
  }
  end_job(job);
  log::info("jobs", stream_id + ": job stopped");
}

void JobRunner::stop_all() {
  std::map<std::string, std::shared_ptr<Job>> all;
  {
    std::lock_guard lk(mu_);
    all.swap(jobs_);
  }
  for (auto& [id, job] : all) end_job(job);
}

Result<JobStats> JobRunner::set_prompt(const std::string& owner, const std::string& stream_id,
                                       std::string prompt) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lk(mu_);
    auto it = jobs_.find(stream_id);
    if (it != jobs_.end() && it->second->owner == owner) job = it->second;
  }
  if (!job)
    return make_error(ErrorCode::not_found,
                      "Stream '" + stream_id + "' has no continuous-inference job.");
  {
    std::lock_guard lk(job->mu);
    job->prompt = std::move(prompt);
  }
  return job->stats();
}

std::optional<JobStats> JobRunner::stats(const std::string& owner,
                                         const std::string& stream_id) const {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lk(mu_);
    auto it = jobs_.find(stream_id);
    if (it == jobs_.end()) return std::nullopt;
    job = it->second;
  }
  if (job->owner != owner && job->owner != "*") return std::nullopt;
  return job->stats();
}

size_t JobRunner::jobs() const {
  std::lock_guard lk(mu_);
  return jobs_.size();
}

}  // namespace sl::jobs
