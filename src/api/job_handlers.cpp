#include "api/job_handlers.hpp"

#include "api/error_response.hpp"
#include "core/stream_id.hpp"

namespace sl::api {
namespace json = boost::json;

json::value job_to_json(const std::optional<jobs::JobStats>& s) {
  if (!s) return nullptr;
  json::object o;
  o["mode"] = jobs::to_string(s->mode);
  o["model"] = s->model.empty() ? json::value(nullptr) : json::value(s->model);
  o["prompt"] = s->prompt;
  o["period_ms"] = s->period_ms;
  o["runs"] = s->runs;
  o["failures"] = s->failures;
  o["skips"] = s->skips;
  o["last_result_at_ms"] =
      s->last_result_at_ms ? json::value(*s->last_result_at_ms) : json::value(nullptr);
  return o;
}

Result<json::object> update_prompt(const JobRouteDeps& d, const std::string& owner,
                                   const std::string& id, const json::object& body) {
  const json::value* p = body.if_contains("prompt");
  if (!p || !p->is_string())
    return make_error(ErrorCode::invalid_request, "'prompt' is required and must be a string.",
                      "prompt");
  std::string prompt(p->get_string());
  if (Status s = jobs::check_prompt(prompt, d.jobs->limits(), "prompt"); !s.ok()) return s.error();
  if (!valid_stream_id(id))
    return make_error(ErrorCode::stream_not_found, "No stream with id '" + id + "'.");
  auto status = d.streams->status(owner, id);
  if (!status.ok()) return status.error();
  if (status->state == "ended" || status->state == "failed")
    return make_error(ErrorCode::stream_not_found, "Stream '" + id + "' has ended.");
  auto stats = d.jobs->set_prompt(owner, id, std::move(prompt));
  if (!stats.ok())
    return make_error(ErrorCode::conflict,
                      "Stream '" + id +
                          "' has no continuous-inference job; define one when creating the "
                          "stream (processing, inference).");
  json::object out;
  out["id"] = id;
  out["stream_id"] = id;
  out["prompt"] = stats->prompt;
  out["job"] = job_to_json(*stats);
  return out;
}

namespace {

asio::awaitable<void> patch_prompt(JobRouteDeps d, Request& req, ResponseWriter& w) {
  auto body = parse_json_object(req.message.body());
  if (!body.ok()) {
    co_await w.send(error_response_for(req, body.error()));
    co_return;
  }
  auto out = update_prompt(d, req.owner, req.param("id"), *body);
  if (!out.ok()) {
    co_await w.send(error_response_for(req, out.error()));
    co_return;
  }
  co_await w.send(json_response(200, *out));
}

}  // namespace

void add_job_routes(Router& router, const JobRouteDeps& deps) {
  Handler h = [deps](Request& req, ResponseWriter& w) { return patch_prompt(deps, req, w); };
  router.add(http::verb::patch, "/v1/streams/{id}/config/prompt", h);
  router.add(http::verb::patch, "/v0.2/streams/{id}/config/prompt", h);
}

}  // namespace sl::api
