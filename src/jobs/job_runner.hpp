// JobRunner: runs each stream's continuous-inference job (SPEC section 5).
//
// One coroutine per job, on its own strand of the I/O context: it sleeps until the next run
// falls due, then runs inline: picks the newest frame (frame mode) or the newest clip
// (clip_length at target_fps on SPEC section 3's grid) as an ovs:// reference, resolves and
// renders it through the one MediaResolver on the media pool (jobs/model_media.hpp, as Chat
// Completions does), calls the model's Backend with the prompt, output_schema_json as
// response_format json_schema and max_output_tokens as max_tokens, checks the answer
// (jobs/result_check.hpp) and publishes one result message (jobs/job_result.hpp) to the
// ResultsHub. Due instants that pass while a run is going are skipped and counted, never
// queued (jobs/job_schedule.hpp); a due run that finds `max_concurrent_runs` runs going over all
// streams is skipped too. Until the stream has a frame (clip mode: until its stream clock
// covers clip_length, so the first clip is a whole one) nothing runs and nothing is counted.
// No lock is held across an await; one job's slow model or decode never delays another's timer.
//
// Threading: every public member is thread-safe. start/stop/set_prompt may be called from any
// thread (stream events arrive on source threads). The runner must outlive the I/O context's
// run (its coroutines hold shared state, not the runner, so destroying the context first is
// also fine). Errors: set_prompt's not_found when the owner has no job on that stream.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "backends/model_router.hpp"
#include "core/clock.hpp"
#include "core/media_sink.hpp"
#include "core/metrics.hpp"
#include "core/status.hpp"
#include "core/subscription.hpp"
#include "jobs/job_spec.hpp"
#include "jobs/results_hub.hpp"
#include "refs/media_resolver.hpp"
#include "store/stream_lookup.hpp"

namespace sl::jobs {

// docs/configuration.md, `jobs.*`.
struct JobSettings {
  int max_concurrent_runs = 64;     // runs going at once over all streams; beyond: skipped
  int64_t run_timeout_ms = 60'000;  // one backend call; past it the run fails (ok:false)
  int64_t min_gap_ms = 100;         // clip delay_seconds 0: back-to-back, at most this often
  JobLimits limits;                 // checked at creation (parse_job_spec) and again per run
  int jpeg_quality = 85;            // as chat (chat.jpeg_quality), so renditions are shared
};

// What the stream object reports as `job`.
struct JobStats {
  JobMode mode = JobMode::clip;
  std::string model;
  std::string prompt;
  int64_t period_ms = 0;
  int64_t runs = 0;      // runs that sent a result (ok or not)
  int64_t failures = 0;  // of which ok:false
  int64_t skips = 0;     // due runs skipped: the previous one was still going, or the runner was full
  std::optional<int64_t> last_result_at_ms;
};

struct JobRunnerDeps {
  const StreamLookup* streams = nullptr;  // the stream's store (newest frame, clock mapping)
  const MediaResolver* media = nullptr;
  const ModelRouter* models = nullptr;
  ResultsHub* results = nullptr;
  Metrics* metrics = nullptr;             // optional
  const Clock* clock = nullptr;           // wall time (the live edge, latencies)
  boost::asio::any_io_executor io;        // where the jobs' coroutines run (one strand each)
  boost::asio::any_io_executor media_pool;  // where frames are rendered (empty: inline)
};

class JobRunner {
 public:
  JobRunner(JobSettings settings, JobRunnerDeps deps);
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Starts `spec` on the stream (replacing a job it had).
  void start(const std::string& owner, const std::string& stream_id, JobSpec spec);
  // Keeps `held` (the stream's event or frame subscription) until the job stops; dropped at
  // once when the stream has no job.
  void hold(const std::string& stream_id, Subscription held);
  // For a clip job: a frame reader that renders the grid's frames as they arrive
  // (jobs/grid_prerender.hpp), to subscribe to the stream's frames; null otherwise.
  std::shared_ptr<FrameConsumer> make_prerender(const std::string& owner,
                                                const std::string& stream_id,
                                                const JobSpec& spec) const;
  // Ends the job: no new run starts; a run in flight finishes but publishes nothing.
  void stop(const std::string& stream_id);
  void stop_all();

  // The operator's limits on a job (the same the API checks at creation).
  const JobLimits& limits() const;

  // The prompt of the next runs. not_found when `owner` has no job on `stream_id`.
  Result<JobStats> set_prompt(const std::string& owner, const std::string& stream_id,
                              std::string prompt);
  std::optional<JobStats> stats(const std::string& owner, const std::string& stream_id) const;
  size_t jobs() const;

  struct Context;  // shared with the jobs' coroutines
  struct Job;

 private:
  std::shared_ptr<Context> ctx_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
};

}  // namespace sl::jobs
