#include "jobs/job_result.hpp"

#include <boost/json/object.hpp>

#include "core/json_text.hpp"

namespace sl::jobs {
namespace json = boost::json;

std::string result_message(const JobResult& r) {
  json::object o;
  o["id"] = r.id;
  o["stream_id"] = r.stream_id;
  o["mode"] = to_string(r.mode);
  o["model_backend"] = r.model_backend;
  o["model_name"] = r.model_name;
  o["prompt"] = r.prompt;
  o["result"] = r.result;
  o["inference_latency_ms"] = r.inference_latency_ms;
  o["total_latency_ms"] = r.total_latency_ms;
  o["ok"] = r.ok;
  o["error"] = r.ok ? json::value(nullptr) : json::value(r.error);
  o["finish_reason"] = r.finish_reason ? json::value(*r.finish_reason) : json::value(nullptr);
  if (r.first_frame && r.last_frame)
    o["frame_range"] = json::object{{"first", *r.first_frame}, {"last", *r.last_frame}};
  else
    o["frame_range"] = nullptr;
  o["media_url"] = r.media_url.empty() ? json::value(nullptr) : json::value(r.media_url);
  return json_text(o);
}

}  // namespace sl::jobs
