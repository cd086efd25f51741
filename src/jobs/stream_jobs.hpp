// Connects the job runner to the stream registry: every stream created with `processing` or
// `inference` (any API surface) gets its job started, and the job stops on the stream's final
// lifecycle event (deleted, lease expired, source ended or failed, shutdown). Call once at
// start-up, before serving; `runner` must outlive `streams`' creates and events.
#pragma once

#include "jobs/job_runner.hpp"
#include "streams/stream_manager.hpp"

namespace sl::jobs {

void run_jobs_of_streams(StreamManager& streams, JobRunner& runner);

}  // namespace sl::jobs
