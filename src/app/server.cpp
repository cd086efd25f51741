#include "app/server.hpp"

#include <atomic>
#include <csignal>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/api_pipeline.hpp"
#include "api/chat_handlers.hpp"
#include "api/http_server.hpp"
#include "api/job_handlers.hpp"
#include "api/ops_handlers.hpp"
#include "api/overshoot_handlers.hpp"
#include "api/stream_handlers.hpp"
#include "api/stream_socket.hpp"
#include "api/whip_handlers.hpp"
#include "app/module_settings.hpp"
#include "backends/engine_loader.hpp"
#include "backends/model_router.hpp"
#include "core/background_priority.hpp"
#include "core/clock.hpp"
#include "core/key_limiter.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/redact.hpp"
#include "jobs/job_runner.hpp"
#include "jobs/results_hub.hpp"
#include "jobs/stream_jobs.hpp"
#include "media/ffmpeg_log.hpp"
#include "refs/frame_renderer.hpp"
#include "refs/media_resolver.hpp"
#include "refs/url_fetcher.hpp"
#include "streams/stream_manager.hpp"

namespace sl::app {
namespace asio = boost::asio;
namespace {

log::Level to_level(const std::string& s) {
  if (s == "debug") return log::Level::debug;
  if (s == "warn") return log::Level::warn;
  if (s == "error") return log::Level::error;
  return log::Level::info;
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// Calls StreamManager::tick() about once a second until `stop` is set.
asio::awaitable<void> tick_loop(StreamManager& streams, const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop.load()) {
    timer.expires_after(std::chrono::seconds(1));
    co_await timer.async_wait(asio::use_awaitable);
    if (!stop.load()) streams.tick();
  }
}

// Probes one backend's health (Backend::probe) every probe_interval_ms until `stop` is set; the
// first probe runs at start-up, so GET /v1/models reports real status from the start.
asio::awaitable<void> probe_loop(std::shared_ptr<Backend> backend, const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto interval = std::chrono::milliseconds(backend->probe_interval_ms());
  while (!stop.load()) {
    co_await backend->probe();
    timer.expires_after(interval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

// Loads every local model (--model, `models`) into the router; the first failure stops start-up.
Status add_local_models(const AppConfig& config, ModelRouter& router) {
  for (const ModelSpec& m : config.models) {
    const LocalModelConfig c = local_model_config(config, m);
    log::info("app", "loading model " + m.model + " from " + m.checkpoint_dir + " (" + c.precision + ", " +
                         c.device + ")");
    auto backend = load_engine_backend(c);
    if (!backend.ok()) return backend.error();
    if (Status s = router.add(std::move(*backend)); !s.ok()) return s;
    log::info("app", "model " + m.model + " ready");
  }
  return {};
}

}  // namespace

// Members in dependency order: each part is built after, and destroyed before, what it points
// to. The parts that can fail to build are optionals, filled by Server::build().
struct Server::Parts {
  explicit Parts(const AppConfig& c)
      : config(c),
        streams_config(streams_settings(config)),
        streams(streams_config, default_source_factory(streams_config.ingest), clock, metrics),
        renderer(2, config.chat.media_nice),
        media_pool(static_cast<size_t>(config.chat.media_threads)),
        media(streams, renderer),
        chat_per_key(config.limits.max_concurrent_requests_per_key),
        threads(io_threads(config)),
        ioc(threads) {
    lower_pool_priority(media_pool, config.chat.media_threads, config.chat.media_nice);
  }

  const AppConfig config;
  SystemClock clock;
  Metrics metrics;
  const StreamsConfig streams_config;
  StreamManager streams;
  FrameRenderer renderer;
  std::atomic<bool> ready{false};
  // Decoding old frames, rendering and building MP4s must not stall the network threads: off
  // them, and at a lower CPU priority (chat.media_nice).
  asio::thread_pool media_pool;
  MediaResolver media;
  KeyLimiter chat_per_key;
  const int threads;
  asio::io_context ioc;
  std::optional<ModelRouter> models;
  // Continuous inference: runs publish to the hub, the stream sockets read from it.
  jobs::ResultsHub job_results;
  std::optional<jobs::JobRunner> job_runner;
  std::shared_ptr<const UrlFetcher> fetcher;
  std::optional<api::ApiPipeline> pipeline;
  std::optional<api::HttpServer> server;
  std::string base_url;

  std::atomic<bool> stopping{false};
  std::atomic<int> exit_code{0};
  std::optional<asio::signal_set> signals;
  bool finished = false;

  api::Router routes();
  asio::awaitable<void> graceful_stop();
  void begin_stop();
  void arm_signals();
  void finish();
};

api::Router Server::Parts::routes() {
  api::Router router;
  api::add_ops_routes(router, api::OpsRouteDeps{&metrics, &ready, config.metrics_token});
  api::add_stream_socket_routes(router, &streams, &job_results);
  api::add_job_routes(router, api::JobRouteDeps{&streams, &*job_runner});
  const api::WebRtcApiConfig webrtc_api{config.webrtc.options.ice_servers, config.webrtc.whip_base_url};
  const api::StreamRouteDeps stream_deps{
      &streams, &media,
      api::StreamDefaults{config.streams.default_retention_seconds, config.streams.default_ttl_seconds,
                          job_runner->limits()},
      config.chat.max_frames_per_request, media_pool.get_executor(), webrtc_api, &*job_runner};
  api::add_stream_routes(router, stream_deps);
  api::add_whip_routes(router, api::WhipRouteDeps{&streams, webrtc_api, media_pool.get_executor()});
  api::add_chat_routes(router, api::ChatRouteDeps{&media, &*models, chat_limits(config), fetcher.get(),
                                                  media_pool.get_executor(), &chat_per_key});
  // Overshoot's /v0.2 surface over the same handlers' internals (SPEC section 5).
  api::add_overshoot_routes(router, api::OvershootRouteDeps{stream_deps, &*models});
  return router;
}

Result<std::unique_ptr<Server>, StartError> Server::build(const AppConfig& config) {
  log::set_level(to_level(config.log_level));
  set_ffmpeg_log_level(to_level(config.log_level));
  for (const auto& b : config.backends)
    log::info("app", "backend " + b.model + " -> " + redact_url(b.base_url) + " (video=" +
                         std::string(to_string(b.video)) + ")");
  if (config.insecure_no_auth)
    log::warn("app", "--insecure-no-auth: every request is accepted without an API key");
  if (Status webrtc = warm_up_webrtc(); !webrtc.ok())
    log::warn("app", "WebRTC/WHIP sources disabled: " + webrtc.error().message);
  auto p = std::make_unique<Parts>(config);
  // One outbound client for every backend (their keep-alive pools and TLS contexts); user URLs
  // get their own, with the strict connect filter (UrlFetcher below).
  auto models = make_http_router(p->config.backends, p->media_pool.get_executor(),
                                 net::HttpClient::create(net::ClientOptions{p->config.outbound}));
  if (!models.ok()) return StartError{2, models.error().message};
  p->models.emplace(std::move(*models));
  if (Status local = add_local_models(p->config, *p->models); !local.ok())
    return StartError{2, local.error().message};
  p->job_runner.emplace(job_settings(p->config),
                        jobs::JobRunnerDeps{&p->streams, &p->media, &*p->models, &p->job_results, &p->metrics,
                                            &p->clock, p->ioc.get_executor(), p->media_pool.get_executor()});
  jobs::run_jobs_of_streams(p->streams, *p->job_runner);
  auto fetcher = UrlFetcher::create(fetch_policy(p->config), p->config.outbound);
  if (!fetcher.ok()) return StartError{2, fetcher.error().message};
  p->fetcher = std::move(*fetcher);

  api::KeyRing keys = p->config.insecure_no_auth ? api::KeyRing::insecure() : api::KeyRing(p->config.api_keys);
  p->pipeline.emplace(p->routes(), std::move(keys), api::CorsPolicy(p->config.cors_origins), p->metrics,
                      p->clock, p->config.websocket);
  p->server.emplace(p->ioc, server_limits(p->config), p->pipeline->handler(), p->clock);
  auto bound = p->server->listen(p->config.listen_host, p->config.listen_port);
  if (!bound.ok())
    return StartError{1, "cannot listen on " + p->config.listen_host + ":" +
                             std::to_string(p->config.listen_port) + ": " + bound.error().message};
  p->base_url = "http://" + url_host(bound->address().to_string()) + ":" + std::to_string(bound->port());

  if (p->config.demo) {
    StreamOptions demo;
    demo.source = TestPatternSpec{.width = 640, .height = 360, .fps = 30};
    demo.name = "demo";
    demo.lease = false;
    demo.retention_seconds = p->config.streams.default_retention_seconds;
    auto created = p->streams.create(kOwnerEveryone, demo, "demo");
    if (!created.ok()) return StartError{1, "cannot start the demo stream: " + created.error().message};
  }
  return std::unique_ptr<Server>(new Server(std::move(p)));
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() {
  if (parts_) parts_->finish();
}

const std::string& Server::base_url() const { return parts_->base_url; }

asio::awaitable<void> Server::Parts::graceful_stop() {
  log::info("app", "shutting down");
  ready = false;
  // WebSocket sessions are no longer HTTP connections: they get their own close (1001), in the
  // same grace period as the requests in flight.
  using namespace asio::experimental::awaitable_operators;
  const std::chrono::milliseconds grace(config.shutdown_grace_ms);
  co_await (server->stop(grace) && pipeline->websockets().shutdown(grace));
  streams.stop_all();
  job_runner->stop_all();
  ioc.stop();
}

// On the I/O context: the first call starts the graceful stop, later ones do nothing.
void Server::Parts::begin_stop() {
  if (stopping.exchange(true)) return;
  asio::co_spawn(ioc, graceful_stop(), asio::detached);
}

void Server::Parts::arm_signals() {
  signals->async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (!stopping.load()) {
      begin_stop();
      arm_signals();  // a second signal skips what is left of the grace period
      return;
    }
    log::warn("app", "second signal: stopping now");
    exit_code = 1;
    streams.stop_all();
    ioc.stop();
  });
}

// Before the I/O context goes: no job may keep a timer of it, and the engine's workers post to
// it. Idempotent, so the destructor can call it after run() or instead of it.
void Server::Parts::finish() {
  if (finished) return;
  finished = true;
  job_runner->stop_all();
  models->shutdown();
  media_pool.join();
}

int Server::run(const std::function<void()>& on_serving) {
  Parts& p = *parts_;
  p.server->start();
  p.ready = true;
  if (on_serving) on_serving();
  asio::co_spawn(p.ioc, tick_loop(p.streams, p.stopping), asio::detached);
  for (const auto& backend : p.models->backends())
    if (backend->probe_interval_ms() > 0) asio::co_spawn(p.ioc, probe_loop(backend, p.stopping), asio::detached);
  p.signals.emplace(p.ioc, SIGINT, SIGTERM);
  p.arm_signals();

  std::vector<std::thread> pool;
  for (int i = 1; i < p.threads; ++i) pool.emplace_back([&p] { p.ioc.run(); });
  p.ioc.run();
  for (auto& t : pool) t.join();
  p.finish();
  log::info("app", "stopped");
  return p.exit_code.load();
}

void Server::shutdown() {
  asio::post(parts_->ioc, [p = parts_.get()] { p->begin_stop(); });
}

}  // namespace sl::app
