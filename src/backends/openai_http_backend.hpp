// A Backend that forwards Chat Completions to a remote OpenAI-compatible server (vLLM, SGLang,
// llama.cpp server, Ollama, cloud APIs): POST {base_url}/chat/completions with the body from
// upstream_format.hpp, relaying the SSE stream chunk by chunk. The API key is read from the
// configured environment variable once, at creation. Health is tracked from request outcomes
// (transport failures and upstream 5xx count; a client's own 4xx does not) and from health probes
// (GET {base_url}/models every probe_interval_ms: unreachable reads unavailable, a 5xx degraded);
// with max_concurrent set, that many requests in flight read saturated.
// Building a native-mode MP4 costs real CPU (JPEG decode + H.264 encode per frame), so when a
// media executor (a thread pool) is given, request bodies with video are built there and the
// caller's I/O thread stays free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include "backends/backend.hpp"
#include "backends/backend_config.hpp"
#include "backends/http_client.hpp"

namespace sl {

class OpenAiHttpBackend final : public Backend {
 public:
  // invalid_request for a bad URL or an api_key_env naming an unset/empty variable; internal
  // when TLS cannot be set up. `outbound`: the shared client (pools); null: one of its own.
  static Result<std::shared_ptr<OpenAiHttpBackend>> create(
      const HttpBackendConfig& config, boost::asio::any_io_executor media_executor = {},
      std::shared_ptr<net::HttpClient> outbound = nullptr);

  std::string model_name() const override { return config_.model; }
  BackendHealth health() const override;
  bool accepts_video_urls() const override { return config_.video == VideoMode::native; }
  boost::asio::awaitable<void> probe() override;
  int64_t probe_interval_ms() const override { return config_.probe_interval_ms; }
  boost::asio::awaitable<Result<boost::json::object>> complete(ChatCall call) override;
  boost::asio::awaitable<Status> stream(ChatCall call, ChunkSink on_chunk) override;

  // GET {base_url}/models: the upstream's model list (for health checks and listings).
  boost::asio::awaitable<Result<boost::json::object>> list_upstream_models();

  const HttpBackendConfig& config() const { return config_; }

 private:
  OpenAiHttpBackend(HttpBackendConfig config, std::shared_ptr<const HttpClient> client,
                    boost::asio::any_io_executor media_executor);

  class InFlight;
  boost::asio::awaitable<Result<boost::json::object>> upstream_body(const ChatCall& call,
                                                                    bool stream) const;
  boost::asio::awaitable<Result<boost::json::object>> run_complete(const ChatCall& call);
  boost::asio::awaitable<Status> run_stream(const ChatCall& call, const ChunkSink& on_chunk);
  // GET {base}/models, exceptions turned into values (list_upstream_models and probes).
  boost::asio::awaitable<Result<boost::json::object>> fetch_upstream_models() const;
  boost::asio::awaitable<Result<boost::json::object>> run_list_models() const;
  void record(const Status& outcome);
  void record_probe(const Status& outcome);
  // The client's own model id replaces the upstream's name in what we hand back.
  void restore_model_name(boost::json::object& response, const ChatCall& call) const;

  HttpBackendConfig config_;
  UpstreamFormat format_;
  std::shared_ptr<const HttpClient> client_;
  boost::asio::any_io_executor media_executor_;  // may be empty: build bodies inline

  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> consecutive_failures_{0};
  std::atomic<bool> last_failure_unreachable_{false};
  enum class ProbeState { ok, failing, unreachable };  // ok also before the first probe
  std::atomic<ProbeState> probe_state_{ProbeState::ok};
  mutable std::mutex last_error_mu_;
  std::string last_error_;
};

}  // namespace sl
