// The composition root: builds every part of the server from an AppConfig, explicitly and in
// dependency order (clock, metrics, streams, renderer, routes, pipeline, HTTP server), prints
// the start-up block, runs until SIGTERM/SIGINT and shuts down gracefully.
#pragma once

#include <optional>
#include <string>

#include "app/app_config.hpp"

namespace sl::app {

// Returns the process exit code: 0 after a signal-initiated shutdown, 1 when start-up fails
// (port in use, demo stream refused).
int run_server(const AppConfig& config, const std::optional<std::string>& generated_key);

}  // namespace sl::app
