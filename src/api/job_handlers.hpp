// Routes of continuous inference (SPEC section 5): PATCH /v1/streams/{id}/config/prompt
// {"prompt": "..."} changes the prompt of the stream's job from its next run on, and the `job`
// member of the stream object. update_prompt() is the route's logic without HTTP, so the /v0.2
// surface can serve the same handler with its own error shape.
// Errors: invalid_request (400) for a body that is not an object with a string `prompt`;
// invalid_value (422, param "prompt") for an empty prompt; stream_not_found (404) for an unknown
// stream, another key's, or one that has ended; conflict (409) for a live stream created
// without a job (a job is defined at creation with `processing`/`inference`).
// Threading: handlers run on network threads; the runner is thread-safe.
#pragma once

#include <optional>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "api/router.hpp"
#include "core/status.hpp"
#include "jobs/job_runner.hpp"
#include "streams/stream_manager.hpp"

namespace sl::api {

struct JobRouteDeps {
  StreamManager* streams = nullptr;
  jobs::JobRunner* jobs = nullptr;
};

// The PATCH's answer: {"id","stream_id","prompt","job":{...}}.
Result<boost::json::object> update_prompt(const JobRouteDeps& deps, const std::string& owner,
                                          const std::string& stream_id,
                                          const boost::json::object& body);

// The stream object's `job`: {"mode","model","prompt","period_ms","runs","failures","skips",
// "last_result_at_ms"}, or null for a stream without a (running) job.
boost::json::value job_to_json(const std::optional<jobs::JobStats>& stats);

void add_job_routes(Router& router, const JobRouteDeps& deps);

}  // namespace sl::api
