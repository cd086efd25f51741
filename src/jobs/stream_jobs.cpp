#include "jobs/stream_jobs.hpp"

#include <boost/json/parse.hpp>

#include "core/log.hpp"

namespace sl::jobs {
namespace json = boost::json;
namespace {

// The create request's objects, kept verbatim in StreamOptions (already validated by the API).
std::optional<json::object> object_of(const std::string& text) {
  if (text.empty()) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

}  // namespace

void run_jobs_of_streams(StreamManager& streams, JobRunner& runner) {
  streams.set_created_listener([&streams, &runner](const std::string& owner,
                                                   const StreamStatus& status,
                                                   const StreamOptions& options) {
    const auto processing = object_of(options.processing_json);
    const auto inference = object_of(options.inference_json);
    auto spec = parse_job_spec(processing ? &*processing : nullptr,
                               inference ? &*inference : nullptr, runner.limits());
    if (!spec.ok()) {
      log::warn("jobs", status.id + ": job not started: " + spec.error().message);
      return;
    }
    if (!*spec) return;  // no job
    const std::string id = status.id;
    auto prerender = runner.make_prerender(owner, id, **spec);
    runner.start(owner, id, std::move(**spec));
    // After start: a stream that already ended delivers its final event right here, which
    // stops the job just started.
    auto sub = streams.subscribe_events(owner, id, [&runner, id](const SourceEvent& e) {
      if (e.state == SourceState::ended || e.state == SourceState::failed) runner.stop(id);
    });
    if (!sub.ok()) return runner.stop(id);
    runner.hold(id, std::move(*sub));
    if (prerender) {
      if (auto frames = streams.subscribe_frames(owner, id, prerender); frames.ok())
        runner.hold(id, std::move(*frames));
    }
  });
}

}  // namespace sl::jobs
