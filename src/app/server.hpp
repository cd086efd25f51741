// The composition root as an object. Server::build() makes every part of the server from an
// AppConfig, explicitly and in dependency order (clock, metrics, streams, media pool, models,
// job runner, routes, pipeline, HTTP server), binds the listening socket and starts the demo
// stream; run() serves on the I/O threads until shutdown() or SIGTERM/SIGINT, then drains
// gracefully (requests in flight and WebSocket sessions get `shutdown_grace_ms`; a second
// signal cuts it short); the destructor tears the parts down in reverse order.
// Errors from build() carry the process exit code: 2 for the configuration (a backend, a local
// model, the fetch policy), 1 for the environment (the port, the demo stream).
// Threading: build(), run() and the destructor on one thread; shutdown() from any thread, any
// number of times.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/app_config.hpp"
#include "core/status.hpp"

namespace sl::app {

struct StartError {
  int exit_code = 1;
  std::string message;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>, StartError> build(const AppConfig& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Where the server listens, e.g. "http://127.0.0.1:8080" (the port picked when the config
  // said 0).
  const std::string& base_url() const;

  // Serves until shutdown(); `on_serving` runs once the server accepts and reports ready,
  // before the I/O threads start (the CLI prints its start-up block there). Returns the process
  // exit code: 0 after a graceful stop, 1 when a second signal cut it short. Call once.
  int run(const std::function<void()>& on_serving = {});

  // Starts the graceful stop, as SIGTERM does.
  void shutdown();

 private:
  struct Parts;
  explicit Server(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace sl::app
