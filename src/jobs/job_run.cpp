// One run of a continuous-inference job (contract in job_runner.hpp).
#include <algorithm>
#include <chrono>
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "core/json_text.hpp"
#include "core/log.hpp"
#include "core/offload.hpp"
#include "core/random_id.hpp"
#include "jobs/job_result.hpp"
#include "jobs/job_state.hpp"
#include "jobs/model_media.hpp"
#include "jobs/result_check.hpp"
#include "refs/grid_sampling.hpp"

namespace sl::jobs {
namespace asio = boost::asio;
namespace json = boost::json;
namespace {

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The run's reference as an ovs:// URL (parsed by the same parser as a client's), and the
// media_url the result names: a video URL selecting exactly the run's frames.
struct RunRef {
  std::string url;
  RefKind kind = RefKind::video;
  std::string media_url;
};

// The live edge on the stream clock: the newest frame's time plus the wall time since it came.
int64_t live_edge(const FrameRecord& newest, int64_t now_wall_ms) {
  return std::max(newest.timestamp_ms, newest.timestamp_ms + (now_wall_ms - newest.wall_ms));
}

RunRef run_reference(const JobSpec& spec, const std::string& stream_id, const FrameRecord& newest,
                     int64_t now_wall_ms) {
  const std::string base = "ovs://streams/" + stream_id + "?";
  RunRef r;
  if (spec.mode == JobMode::frame) {
    r.kind = RefKind::image;
    r.url = base + "frame_index=" + std::to_string(newest.index);
    r.media_url = base + "start_frame_index=" + std::to_string(newest.index) +
                  "&end_frame_index=" + std::to_string(newest.index + 1);
    return r;
  }
  // The newest clip_length on the stream clock, up to the live edge (the newest frame's time
  // plus the wall time since it arrived), end exclusive. Explicit times rather than
  // start_offset_ms, so the same URL selects the same frames later (media_url).
  const int64_t end = live_edge(newest, now_wall_ms) + 1;
  const int64_t start = std::max<int64_t>(0, end - spec.clip_length_ms);
  r.kind = RefKind::video;
  r.url = base + "start_timestamp_ms=" + std::to_string(start) + "&end_timestamp_ms=" +
          std::to_string(end) + "&max_fps=" + std::to_string(spec.target_fps);
  r.media_url = r.url;
  return r;
}

json::object chat_body(const JobSpec& spec, const std::string& model, const std::string& prompt) {
  json::object body;
  body["model"] = model;
  json::array content;
  content.push_back(json::object{{"type", kOvsMediaPartType}, {"index", 0}});
  content.push_back(json::object{{"type", "text"}, {"text", prompt}});
  body["messages"] = json::array{json::object{{"role", "user"}, {"content", std::move(content)}}};
  if (spec.max_output_tokens) body["max_tokens"] = *spec.max_output_tokens;
  if (!spec.output_schema_json.empty()) {
    boost::system::error_code ec;
    json::value schema = json::parse(spec.output_schema_json, ec);
    if (!ec) {
      json::object js;
      js["name"] = "result";
      js["schema"] = std::move(schema);
      body["response_format"] = json::object{{"type", "json_schema"}, {"json_schema", std::move(js)}};
    }
  }
  return body;
}

// choices[0].message.content and choices[0].finish_reason of a chat.completion.
void read_answer(const json::object& completion, JobResult& r) {
  const json::value* choices = completion.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty() ||
      !choices->get_array()[0].is_object()) {
    r.error = "the model's answer has no choices";
    return;
  }
  const json::object& c = choices->get_array()[0].get_object();
  if (const json::value* fr = c.if_contains("finish_reason"); fr && fr->is_string())
    r.finish_reason = std::string(fr->get_string());
  const json::value* msg = c.if_contains("message");
  const json::value* content = msg && msg->is_object() ? msg->get_object().if_contains("content")
                                                       : nullptr;
  if (content && content->is_string()) {
    r.result = std::string(content->get_string());
    r.ok = true;
    return;
  }
  r.error = "the model's answer has no text content";
}

std::string model_for(const JobSpec& spec, const ModelRouter& models) {
  if (!spec.model.empty()) return spec.model;
  auto all = models.list();
  return all.empty() ? std::string() : all.front().id;
}

}  // namespace

asio::awaitable<bool> run_job_once(std::shared_ptr<JobRunner::Context> ctx,
                                   std::shared_ptr<JobRunner::Job> job) {
  const JobRunnerDeps& d = ctx->deps;
  const JobSpec& spec = job->spec;
  auto store = d.streams->store(job->owner, job->stream_id);
  if (!store.ok()) co_return false;  // gone: the stream's end stops the job
  std::optional<FrameRecord> newest = (*store)->newest();
  if (!newest) co_return false;  // no frame yet: wait
  const int64_t first_frame_wall = (*store)->stats().first_frame_wall_ms;

  JobResult r;
  r.id = random_hex_id("res_", 12);
  r.stream_id = job->stream_id;
  r.mode = spec.mode;
  r.model_backend = spec.backend.empty() ? "sightline" : spec.backend;
  r.model_name = model_for(spec, *d.models);
  r.prompt = job->current_prompt();
  std::optional<FrameRecord> newest_used;

  int64_t now_wall = d.clock->wall_ms();
  // A clip run waits until the stream is clip_length old: the first clip is a whole one.
  if (spec.mode == JobMode::clip && live_edge(*newest, now_wall) + 1 < spec.clip_length_ms)
    co_return false;
  if (spec.mode == JobMode::clip) {
    // The clip's newest frame is the one nearest its last grid instant, which may lie up to a
    // grid period before the live edge. When the next instant is less than half a period away,
    // wait for it: the result then carries a frame that much fresher (bench/jobs/overhead.py:
    // at 6 fps the newest frame used was about one period, 160 ms, old when the runs' phase
    // fell just before an instant).
    const int64_t period = grid_period_ms(spec.target_fps, std::nullopt, spec.clip_length_ms);
    const int64_t live = live_edge(*newest, now_wall);
    const int64_t wait = (live / period + 1) * period - live;
    if (wait <= period / 2) {
      asio::steady_timer pause(co_await asio::this_coro::executor);
      pause.expires_after(std::chrono::milliseconds(wait + 1));
      boost::system::error_code ec;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (job->stopped.load()) co_return true;
      if (auto fresher = (*store)->newest()) newest = fresher;
      now_wall = d.clock->wall_ms();
    }
  }
  const RunRef rr = run_reference(spec, job->stream_id, *newest, now_wall);
  auto ref = parse_ovs_url(rr.url, rr.kind, "media_url");
  std::optional<ModelMedia> media;
  if (!ref.ok()) {
    r.error = ref.error().message;
  } else if (auto located = d.media->locate(*ref, job->owner, now_wall, "media_url",
                                            spec.mode == JobMode::clip ? ctx->settings.limits.max_frames
                                                                       : -1);
             !located.ok()) {
    r.error = located.error().message;
  } else {
    const auto& frames = located->resolution.frames;
    r.first_frame = frames.front().index;
    r.last_frame = frames.back().index;
    newest_used = frames.back();
    r.media_url = rr.media_url;
    RenderOptions options;
    options.jpeg_quality = ctx->settings.jpeg_quality;
    if (auto b = d.models->lookup(r.model_name); b.ok() && (*b)->wants_pictures())
      options.form = FrameForm::picture;  // the in-process engine: no JPEG round trip
    auto work = [ctx, ref = *ref, located = std::move(*located), options] {
      return render_model_media(*ctx->deps.media, ref, located, options, "media_url");
    };
    auto rendered = co_await offload(d.media_pool, work);
    if (!rendered.ok()) r.error = rendered.error().message;
    else media = std::move(*rendered);
  }

  if (media) {
    auto backend = d.models->lookup(r.model_name);
    if (r.model_name.empty()) {
      r.error = "no model is configured for continuous inference";
    } else if (!backend.ok()) {
      r.error = backend.error().message;
    } else {
      ChatCall call;
      call.body = chat_body(spec, r.model_name, r.prompt);
      call.media.push_back(std::move(media->media));
      asio::steady_timer deadline(co_await asio::this_coro::executor);
      deadline.expires_after(std::chrono::milliseconds(ctx->settings.run_timeout_ms));
      const int64_t t0 = steady_now_ms();
      using namespace asio::experimental::awaitable_operators;
      std::variant<Result<json::object>, std::monostate> answer =
          co_await ((*backend)->complete(std::move(call)) ||
                    deadline.async_wait(asio::use_awaitable));
      r.inference_latency_ms = steady_now_ms() - t0;
      if (answer.index() == 1) {
        r.error = "the model did not answer within " +
                  std::to_string(ctx->settings.run_timeout_ms) + " ms (jobs.run_timeout_ms)";
      } else if (const auto& got = std::get<0>(answer); !got.ok()) {
        r.error = got.error().message;
      } else {
        read_answer(*got, r);
        if (r.ok && !spec.output_schema_json.empty()) {
          if (auto bad = check_result(r.result, spec.output_schema_json)) {
            r.ok = false;
            r.error = "output_schema_json: " + *bad;
          }
        }
      }
    }
  }
  if (!r.ok && r.error.empty()) r.error = "the run failed";

  if (job->stopped.load()) co_return true;  // the stream ended meanwhile: nobody to tell
  const int64_t sent_wall = d.clock->wall_ms();
  if (newest_used) {
    // Capture time: the stream clock mapped to wall time from the first frame, or the arrival
    // time when that is earlier (a source whose clock ran ahead of arrival).
    const int64_t capture =
        first_frame_wall > 0
            ? std::min(newest_used->wall_ms, first_frame_wall + newest_used->timestamp_ms)
            : newest_used->wall_ms;
    r.total_latency_ms = std::max<int64_t>(0, sent_wall - capture);
  }
  job->runs.fetch_add(1);
  if (!r.ok) job->failures.fetch_add(1);
  {
    std::lock_guard lk(job->mu);
    job->last_result_at_ms = sent_wall;
  }
  if (MetricCell* c = r.ok ? ctx->runs_ok : ctx->runs_failed) c->add(1);
  if (ctx->total_latency && newest_used)
    ctx->total_latency->observe(static_cast<double>(r.total_latency_ms) / 1000.0);
  if (ctx->inference_latency && r.inference_latency_ms > 0)
    ctx->inference_latency->observe(static_cast<double>(r.inference_latency_ms) / 1000.0);
  if (!r.ok) log::debug("jobs", job->stream_id + ": run failed: " + r.error);
  d.results->publish(job->stream_id, std::make_shared<const std::string>(result_message(r)));
  co_return true;
}

}  // namespace sl::jobs
