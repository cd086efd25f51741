#include "app/server_app.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
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
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/redact.hpp"
#include "backends/engine_loader.hpp"
#include "backends/model_router.hpp"
#include "jobs/job_runner.hpp"
#include "jobs/stream_jobs.hpp"
#include "media/ffmpeg_log.hpp"
#include "refs/frame_renderer.hpp"
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

StreamsConfig streams_config(const AppConfig& c) {
  StreamsConfig s;
  s.max_streams_per_key = c.limits.max_streams_per_key;
  s.max_pixel_rate_per_key = c.limits.max_pixel_rate_per_key;
  s.max_retained_bytes_per_key = c.limits.max_retained_bytes_per_key;
  s.default_ttl_seconds = c.streams.default_ttl_seconds;
  s.max_ttl_seconds = c.streams.max_ttl_seconds;
  s.max_retention_seconds = c.streams.max_retention_seconds;
  s.ended_linger_seconds = c.streams.ended_linger_seconds;
  s.store.retention_ms = c.streams.default_retention_seconds * 1000;
  s.store.max_bytes = static_cast<size_t>(c.streams.max_bytes_per_stream);
  s.store.decoded_keep = c.streams.decoded_keep;
  s.store.rendition_bytes = static_cast<size_t>(c.streams.rendition_bytes);
  s.keep_second_jpegs = c.streams.keep_second_jpegs;
  s.jpeg_quality = c.chat.jpeg_quality;
  s.ingest.connect_timeout_ms = c.ingest.connect_timeout_ms;
  s.ingest.read_timeout_ms = c.ingest.read_timeout_ms;
  s.ingest.backoff_initial_ms = c.ingest.backoff_initial_ms;
  s.ingest.backoff_max_ms = c.ingest.backoff_max_ms;
  s.ingest.max_reconnects = c.ingest.max_reconnects;
  s.ingest.max_width = c.ingest.max_width;
  s.ingest.max_height = c.ingest.max_height;
  s.ingest.file_root = c.allow_file_root;
  s.ingest.webrtc = c.webrtc.options;
  return s;
}

api::ServerLimits server_limits(const AppConfig& c) {
  api::ServerLimits l;
  l.max_body_bytes = static_cast<size_t>(c.limits.max_body_bytes);
  l.max_header_bytes = static_cast<size_t>(c.limits.max_header_bytes);
  l.max_connections = c.limits.max_connections;
  l.header_timeout_ms = c.limits.header_timeout_ms;
  l.body_timeout_ms = c.limits.body_timeout_ms;
  l.idle_timeout_ms = c.limits.idle_timeout_ms;
  l.write_timeout_ms = c.limits.write_timeout_ms;
  return l;
}

jobs::JobSettings job_settings(const AppConfig& c) {
  jobs::JobSettings j;
  j.max_concurrent_runs = c.jobs.max_concurrent_runs;
  j.run_timeout_ms = c.jobs.run_timeout_ms;
  j.min_gap_ms = c.jobs.min_gap_ms;
  j.max_frames = c.chat.max_frames_per_request;
  j.jpeg_quality = c.chat.jpeg_quality;
  return j;
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
    LocalModelConfig c;
    c.model = m.model;
    c.checkpoint_dir = m.checkpoint_dir;
    c.precision = m.precision.empty() ? config.engine.precision : m.precision;
    c.device = m.device.empty() ? config.engine.device : m.device;
    c.threads = config.engine.threads > 0 ? config.engine.threads
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    c.vision_cache_bytes = static_cast<size_t>(config.engine.vision_cache_bytes);
    c.serving.max_concurrent = config.engine.max_concurrent;
    c.serving.max_queue = config.engine.max_queue;
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

int run_server(const AppConfig& config, const std::optional<std::string>& generated_key) {
  log::set_level(to_level(config.log_level));
  set_ffmpeg_log_level(to_level(config.log_level));
  for (const auto& b : config.backends)
    log::info("app", "backend " + b.model + " -> " + redact_url(b.base_url) + " (video=" +
                         std::string(to_string(b.video)) + ")");
  if (config.insecure_no_auth)
    log::warn("app", "--insecure-no-auth: every request is accepted without an API key");

  SystemClock clock;
  Metrics metrics;
  const StreamsConfig sconfig = streams_config(config);
  if (Status webrtc = warm_up_webrtc(); !webrtc.ok())
    log::warn("app", "WebRTC/WHIP sources disabled: " + webrtc.error().message);
  StreamManager streams(sconfig, default_source_factory(sconfig.ingest), clock, metrics);
  FrameRenderer renderer;
  std::atomic<bool> ready{false};
  // Decoding old frames and building MP4s must not stall the network threads.
  asio::thread_pool media_pool(static_cast<size_t>(config.chat.media_threads));
  // One outbound client for every backend (their keep-alive pools and TLS contexts); user URLs
  // get their own, with the strict connect filter (UrlFetcher below).
  auto models = make_http_router(config.backends, media_pool.get_executor(),
                                 net::HttpClient::create(net::ClientOptions{config.outbound}));
  if (!models.ok()) {
    std::fprintf(stderr, "sightline: %s\n", models.error().message.c_str());
    return 2;
  }
  if (Status local = add_local_models(config, *models); !local.ok()) {
    std::fprintf(stderr, "sightline: %s\n", local.error().message.c_str());
    return 2;
  }

  api::Router router;
  api::add_ops_routes(router, api::OpsRouteDeps{&metrics, &ready, config.metrics_token});
  MediaResolver media(streams, renderer);
  // Continuous inference: runs publish to the hub, the stream sockets read from it. The
  // runner's executor is the I/O context, made below (use_executor).
  jobs::ResultsHub job_results;
  jobs::JobRunner job_runner(job_settings(config),
                             jobs::JobRunnerDeps{&streams, &media, &*models, &job_results, &metrics,
                                                 &clock, {}, media_pool.get_executor()});
  jobs::run_jobs_of_streams(streams, job_runner);
  api::add_stream_socket_routes(router, &streams, &job_results);
  api::add_job_routes(router, api::JobRouteDeps{&streams, &job_runner});
  const api::WebRtcApiConfig webrtc_api{config.webrtc.options.ice_servers,
                                        config.webrtc.whip_base_url};
  const api::StreamRouteDeps stream_deps{
      &streams, &media,
      api::StreamDefaults{config.streams.default_retention_seconds,
                          config.streams.default_ttl_seconds},
      config.chat.max_frames_per_request, media_pool.get_executor(), webrtc_api, &job_runner};
  api::add_stream_routes(router, stream_deps);
  api::add_whip_routes(router, api::WhipRouteDeps{&streams, webrtc_api, media_pool.get_executor()});
  api::ChatLimits chat_limits;
  chat_limits.max_refs = config.chat.max_refs_per_request;
  chat_limits.max_frames = config.chat.max_frames_per_request;
  chat_limits.max_data_url_bytes = static_cast<size_t>(config.chat.max_data_url_bytes);
  chat_limits.jpeg_quality = config.chat.jpeg_quality;
  chat_limits.max_remote_video_frames = config.chat.max_remote_video_frames;
  FetchPolicy fetch;
  fetch.allow_private = config.fetch.allow_private;
  fetch.allow_cidrs = config.fetch.allow_cidrs;
  fetch.max_bytes = static_cast<size_t>(config.fetch.max_bytes);
  fetch.timeout_ms = config.fetch.timeout_ms;
  fetch.max_redirects = config.fetch.max_redirects;
  auto fetcher = UrlFetcher::create(fetch, config.outbound);
  if (!fetcher.ok()) {
    std::fprintf(stderr, "sightline: %s\n", fetcher.error().message.c_str());
    return 2;
  }
  KeyLimiter chat_per_key(config.limits.max_concurrent_requests_per_key);
  api::add_chat_routes(router, api::ChatRouteDeps{&media, &*models, chat_limits, fetcher->get(),
                                                  media_pool.get_executor(), &chat_per_key});
  // Overshoot's /v0.2 surface over the same handlers' internals (SPEC section 5).
  api::add_overshoot_routes(router, api::OvershootRouteDeps{stream_deps, &*models});
  api::KeyRing keys =
      config.insecure_no_auth ? api::KeyRing::insecure() : api::KeyRing(config.api_keys);
  api::ApiPipeline pipeline(std::move(router), std::move(keys),
                            api::CorsPolicy(config.cors_origins), metrics, clock, config.websocket);

  const int threads = config.threads > 0
                          ? config.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  asio::io_context ioc(threads);
  job_runner.use_executor(ioc.get_executor());
  api::HttpServer server(ioc, server_limits(config), pipeline.handler(), clock);
  auto bound = server.listen(config.listen_host, config.listen_port);
  if (!bound.ok()) {
    std::fprintf(stderr, "sightline: cannot listen on %s:%u: %s\n", config.listen_host.c_str(),
                 static_cast<unsigned>(config.listen_port), bound.error().message.c_str());
    return 1;
  }

  if (config.demo) {
    StreamOptions demo;
    demo.source = TestPatternSpec{.width = 640, .height = 360, .fps = 30};
    demo.name = "demo";
    demo.lease = false;
    demo.retention_seconds = config.streams.default_retention_seconds;
    auto created = streams.create(kOwnerEveryone, demo, "demo");
    if (!created.ok()) {
      std::fprintf(stderr, "sightline: cannot start the demo stream: %s\n",
                   created.error().message.c_str());
      return 1;
    }
  }

  server.start();
  ready = true;
  const std::string base = "http://" + url_host(bound->address().to_string()) + ":" +
                           std::to_string(bound->port());
  std::printf("sightline listening on %s\n", base.c_str());
  if (generated_key) {
    std::printf("No API key was configured, so one was generated for this run (shown once):\n");
    std::printf("  API key: %s\n", generated_key->c_str());
  }
  if (config.demo) {
    const std::string key = generated_key ? *generated_key : std::string("$KEY");
    std::printf("Demo stream: curl -H \"Authorization: Bearer %s\" %s/v1/streams/demo/frame -o frame.jpg\n",
                config.insecure_no_auth ? "anything" : key.c_str(), base.c_str());
  }
  std::fflush(stdout);

  std::atomic<bool> stopping{false};
  std::atomic<int> exit_code{0};
  asio::co_spawn(ioc, tick_loop(streams, stopping), asio::detached);
  for (const auto& backend : models->backends())
    if (backend->probe_interval_ms() > 0)
      asio::co_spawn(ioc, probe_loop(backend, stopping), asio::detached);

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  auto shutdown = [&]() -> asio::awaitable<void> {
    log::info("app", "shutting down");
    ready = false;
    // WebSocket sessions are no longer HTTP connections: they get their own close (1001), in
    // the same grace period as the requests in flight.
    using namespace asio::experimental::awaitable_operators;
    const std::chrono::milliseconds grace(config.shutdown_grace_ms);
    co_await (server.stop(grace) && pipeline.websockets().shutdown(grace));
    streams.stop_all();
    job_runner.stop_all();
    stopping = true;
    ioc.stop();
  };
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (stopping.exchange(true)) return;
        asio::co_spawn(ioc, shutdown(), asio::detached);
        // A second signal skips what is left of the grace period.
        signals.async_wait([&](const boost::system::error_code& e2, int) {
          if (e2) return;
          log::warn("app", "second signal: stopping now");
          exit_code = 1;
          streams.stop_all();
          ioc.stop();
        });
      };
  signals.async_wait(on_signal);

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  // Before the I/O context goes: no job may keep a timer of it, and the engine's workers post
  // to it.
  job_runner.stop_all();
  models->shutdown();
  media_pool.join();
  log::info("app", "stopped");
  return exit_code.load();
}

}  // namespace sl::app
