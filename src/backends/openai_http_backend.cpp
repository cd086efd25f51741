#include "backends/openai_http_backend.hpp"

#include "core/json_read.hpp"
#include "core/json_text.hpp"

#include <cstdlib>
#include <optional>
#include <vector>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/system/system_error.hpp>

#include "backends/sse_parser.hpp"
#include "backends/upstream_error.hpp"
#include "backends/upstream_format.hpp"
#include "core/guarded.hpp"
#include "core/offload.hpp"

namespace sl {
namespace asio = boost::asio;
namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

Error malformed(std::string_view what) {
  return make_error(ErrorCode::upstream_error, "malformed response from upstream: " + std::string(what));
}

// An error the upstream put inside a 200 body or a stream chunk: {"error": ...} without choices.
std::optional<Error> embedded_error(const json::object& o) {
  if (!o.contains("error") || o.contains("choices")) return std::nullopt;
  const std::string body = json_text(o);
  std::string message = "upstream error";
  if (auto m = upstream_error_message(body)) message += ": " + *m;
  return make_error(ErrorCode::upstream_error, std::move(message));
}

Result<json::object> parse_object(std::string_view text) {
  auto o = read_json_object(text);
  if (!o.ok()) return malformed(o.error().message);
  return std::move(*o);
}

bool has_finish_reason(const json::object& chunk) {
  const json::value* choices = chunk.if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return false;
  for (const json::value& c : choices->get_array()) {
    const json::object* o = c.if_object();
    if (o == nullptr) continue;
    const json::value* r = o->if_contains("finish_reason");
    if (r != nullptr && !r->is_null()) return true;
  }
  return false;
}

// Failures that say something about the backend's health (not the client's request).
bool counts_as_failure(const Error& e) {
  if (e.code == ErrorCode::upstream_unavailable || e.code == ErrorCode::upstream_timeout) return true;
  if (e.code != ErrorCode::upstream_error) return false;
  auto status = upstream_http_status(e);
  return !status || *status >= 500;
}

}  // namespace

// Counts a request as in flight for its lifetime (also when its coroutine is destroyed).
class OpenAiHttpBackend::InFlight {
 public:
  explicit InFlight(std::atomic<int64_t>& n) : n_(n) { ++n_; }
  ~InFlight() { --n_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<int64_t>& n_;
};

OpenAiHttpBackend::OpenAiHttpBackend(HttpBackendConfig config, std::shared_ptr<const HttpClient> client,
                                     asio::any_io_executor media_executor)
    : config_(std::move(config)), client_(std::move(client)), media_executor_(std::move(media_executor)) {
  format_.video = config_.video;
  format_.upstream_model = config_.upstream_model;
}

Result<std::shared_ptr<OpenAiHttpBackend>> OpenAiHttpBackend::create(
    const HttpBackendConfig& config, asio::any_io_executor media_executor,
    std::shared_ptr<net::HttpClient> outbound) {
  auto endpoint = parse_http_endpoint(config.base_url);
  if (!endpoint) return endpoint.error();
  HttpClientOptions options;
  options.endpoint = std::move(*endpoint);
  options.timeouts = HttpTimeouts{config.connect_timeout_ms, config.first_byte_timeout_ms,
                                  config.idle_timeout_ms, config.total_timeout_ms};
  options.max_body_bytes = config.max_response_bytes;
  options.ca_file = config.ca_file;
  options.net = std::move(outbound);
  if (!config.api_key_env.empty()) {
    const char* key = std::getenv(config.api_key_env.c_str());  // read once, at start-up
    if (key == nullptr || *key == '\0') {
      return make_error(ErrorCode::invalid_request,
                        "environment variable " + config.api_key_env + " (API key for model '" +
                            config.model + "') is not set",
                        "--backend");
    }
    options.bearer_token = key;
  }
  auto client = HttpClient::create(std::move(options));
  if (!client) return client.error();
  return std::shared_ptr<OpenAiHttpBackend>(
      new OpenAiHttpBackend(config, std::move(*client), std::move(media_executor)));
}

BackendHealth OpenAiHttpBackend::health() const {
  BackendHealth h;
  h.in_flight = in_flight_.load();
  h.consecutive_failures = consecutive_failures_.load();
  const ProbeState probe = probe_state_.load();
  if (probe == ProbeState::unreachable) {
    h.status = "unavailable";
  } else if (h.consecutive_failures > 0) {
    h.status = last_failure_unreachable_.load() ? "unavailable" : "degraded";
  } else if (probe == ProbeState::failing) {
    h.status = "degraded";
  }
  // Full: new work would queue behind the configured capacity.
  if (h.status != "unavailable" && config_.max_concurrent > 0 &&
      h.in_flight >= config_.max_concurrent)
    h.status = "saturated";
  std::lock_guard lock(last_error_mu_);
  h.last_error = last_error_;
  return h;
}

void OpenAiHttpBackend::record_probe(const Status& outcome) {
  if (outcome.ok() || !counts_as_failure(outcome.error())) {
    // Answering at all (a server without GET /models answers 404) means reachable: a request
    // failure that said otherwise is over.
    probe_state_ = ProbeState::ok;
    if (last_failure_unreachable_.load()) consecutive_failures_ = 0;
    return;
  }
  const Error& e = outcome.error();
  probe_state_ = e.code == ErrorCode::upstream_unavailable || e.code == ErrorCode::upstream_timeout
                     ? ProbeState::unreachable
                     : ProbeState::failing;
  std::lock_guard lock(last_error_mu_);
  last_error_ = "health probe: " + e.message;
}

void OpenAiHttpBackend::record(const Status& outcome) {
  if (outcome.ok()) {
    consecutive_failures_ = 0;
    return;
  }
  const Error& e = outcome.error();
  if (!counts_as_failure(e)) return;
  ++consecutive_failures_;
  last_failure_unreachable_ = e.code == ErrorCode::upstream_unavailable;
  std::lock_guard lock(last_error_mu_);
  last_error_ = e.message;
}

void OpenAiHttpBackend::restore_model_name(json::object& response, const ChatCall& call) const {
  if (config_.upstream_model.empty()) return;
  const json::value* model = call.body.if_contains("model");
  if (model != nullptr && model->is_string() && response.contains("model")) {
    response["model"] = model->get_string();
  }
}

asio::awaitable<Result<json::object>> OpenAiHttpBackend::upstream_body(const ChatCall& call,
                                                                       bool stream) const {
  bool has_video = false;
  for (const ResolvedMedia& m : call.media) has_video = has_video || m.video;
  std::optional<Result<json::object>> body;
  if (has_video && format_.video == VideoMode::native && media_executor_) {
    // The work owns copies (the call's JPEGs are shared, not copied): it may outlive this
    // coroutine when the server stops (core/offload.hpp).
    auto work = [call = std::make_shared<const ChatCall>(call), format = format_] {
      return build_upstream_body(*call, format);
    };
    body.emplace(co_await offload(media_executor_, work));
  } else {
    body.emplace(build_upstream_body(call, format_));
  }
  if (body->ok()) set_stream_mode(**body, stream);
  co_return std::move(*body);
}

asio::awaitable<Result<json::object>> OpenAiHttpBackend::run_complete(const ChatCall& call) {
  auto body = co_await upstream_body(call, false);
  if (!body) co_return body.error();
  auto response = co_await client_->fetch(http::verb::post, "/chat/completions", json_text(*body));
  if (!response) co_return response.error();
  if (response->status / 100 != 2) co_return upstream_http_error(response->status, response->body);
  auto object = parse_object(response->body);
  if (!object) co_return object.error();
  if (auto e = embedded_error(*object)) co_return *e;
  restore_model_name(*object, call);
  co_return std::move(*object);
}

asio::awaitable<Status> OpenAiHttpBackend::run_stream(const ChatCall& call, const ChunkSink& on_chunk) {
  auto body = co_await upstream_body(call, true);
  if (!body) co_return body.error();

  // Per-request stream state lives here, in this coroutine's frame.
  SseParser parser;
  std::vector<SseEvent> events;
  bool done = false;      // [DONE] seen
  bool finished = false;  // a chunk carried a finish_reason
  bool client_gone = false;
  std::optional<Error> failure;

  // Relays the parsed events; false when reading must stop.
  auto relay = [&]() -> asio::awaitable<bool> {
    for (SseEvent& event : events) {
      if (event.data == "[DONE]") {
        done = true;
        break;
      }
      if (event.event == "error") {
        std::string message = "upstream stream error";
        if (auto m = upstream_error_message(event.data)) {
          message += ": " + *m;
        } else if (!event.data.empty()) {
          message += ": " + event.data;
        }
        failure = make_error(ErrorCode::upstream_error, std::move(message));
        break;
      }
      auto chunk = parse_object(event.data);
      if (!chunk) {
        failure = chunk.error();
        break;
      }
      if (auto e = embedded_error(*chunk)) {
        failure = std::move(*e);
        break;
      }
      finished = finished || has_finish_reason(*chunk);
      restore_model_name(*chunk, call);
      if (!co_await on_chunk(std::move(*chunk))) {
        client_gone = true;
        break;
      }
    }
    events.clear();
    co_return !done && !failure && !client_gone;
  };

  auto response = co_await client_->fetch_streaming(
      http::verb::post, "/chat/completions", json_text(*body),
      [&](std::string_view data) -> asio::awaitable<bool> {
        if (Status s = parser.feed(data, events); !s) {
          failure = s.error();
          co_return false;
        }
        co_return co_await relay();
      });
  if (client_gone) co_return make_error(ErrorCode::cancelled, "client disconnected");
  if (failure) co_return *failure;
  if (done) co_return Status();
  if (!response) co_return response.error();
  if (response->status / 100 != 2) co_return upstream_http_error(response->status, response->body);
  parser.finish(events);
  co_await relay();
  if (client_gone) co_return make_error(ErrorCode::cancelled, "client disconnected");
  if (failure) co_return *failure;
  if (done || finished) co_return Status();
  if (response->content_type.find("text/event-stream") == std::string::npos) {
    co_return malformed("expected an event stream, got '" + response->content_type + "'");
  }
  co_return make_error(ErrorCode::upstream_error, "upstream stream ended before [DONE]");
}

asio::awaitable<Result<json::object>> OpenAiHttpBackend::complete(ChatCall call) {
  InFlight guard(in_flight_);
  // The boundary: nothing thrown below (allocation, a consumer's exception, an operation
  // cancelled by the caller) leaves a Backend call as an exception.
  Result<json::object> result = co_await guarded(run_complete(call), "backend", "upstream request");
  record(result.status());
  co_return result;
}

asio::awaitable<Status> OpenAiHttpBackend::stream(ChatCall call, ChunkSink on_chunk) {
  InFlight guard(in_flight_);
  Status outcome = co_await guarded(run_stream(call, on_chunk), "backend", "upstream request");
  record(outcome);
  co_return outcome;
}

asio::awaitable<Result<json::object>> OpenAiHttpBackend::list_upstream_models() {
  Result<json::object> result = co_await fetch_upstream_models();
  record(result.status());
  co_return result;
}

asio::awaitable<void> OpenAiHttpBackend::probe() {
  Result<json::object> result = co_await fetch_upstream_models();
  record_probe(result.status());
}

asio::awaitable<Result<json::object>> OpenAiHttpBackend::fetch_upstream_models() const {
  co_return co_await guarded(run_list_models(), "backend", "upstream request");
}

asio::awaitable<Result<json::object>> OpenAiHttpBackend::run_list_models() const {
  auto response = co_await client_->fetch(http::verb::get, "/models", std::string());
  if (!response) co_return response.error();
  if (response->status / 100 != 2) co_return upstream_http_error(response->status, response->body);
  co_return parse_object(response->body);
}

}  // namespace sl
