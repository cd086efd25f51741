// sightline entry point: parse the command line, assemble the configuration, build and run the
// server (app/server.hpp), print the start-up block.
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "app/app_config.hpp"
#include "app/cli.hpp"
#include "app/server.hpp"

namespace {

// The start-up block: where to connect, the generated key (shown once), the demo stream.
void print_start_up(const sl::app::AppConfig& config, const std::string& base,
                    const std::optional<std::string>& generated_key) {
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
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout or socket is an error value, not a death
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cmd = sl::app::parse_command_line(args);
  if (!cmd.ok()) {
    std::fprintf(stderr, "sightline: %s\n", cmd.error().message.c_str());
    return 2;
  }
  switch (cmd->kind) {
    case sl::app::CommandKind::help:
      std::fputs(sl::app::usage_text().c_str(), stdout);
      return 0;
    case sl::app::CommandKind::serve_help:
      std::fputs(sl::app::serve_usage_text().c_str(), stdout);
      return 0;
    case sl::app::CommandKind::version:
      std::puts("sightline 0.1.0");
      return 0;
    case sl::app::CommandKind::serve:
      break;
  }
  std::optional<std::string> env_keys;
  if (const char* v = std::getenv("SIGHTLINE_API_KEYS")) env_keys = std::string(v);
  auto config = sl::app::load_config(cmd->options, env_keys);
  if (!config.ok()) {
    std::fprintf(stderr, "sightline: %s\n", config.error().message.c_str());
    return 2;
  }
  if (!cmd->options.log_level && !config->log_level.empty()) {
    // SIGHTLINE_LOG is the fallback when neither flag nor file set a level.
    if (const char* l = std::getenv("SIGHTLINE_LOG"); l && config->log_level == "info") {
      std::string level(l);
      if (level == "debug" || level == "info" || level == "warn" || level == "error")
        config->log_level = level;
    }
  }
  // Before the server starts its threads. The environment's MALLOC_ARENA_MAX, if any, is the
  // operator's explicit choice and stays.
  if (config->malloc_arenas > 0 && !std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, config->malloc_arenas);
  const std::optional<std::string> generated = sl::app::ensure_api_key(*config);
  auto server = sl::app::Server::build(*config);
  if (!server.ok()) {
    std::fprintf(stderr, "sightline: %s\n", server.error().message.c_str());
    return server.error().exit_code;
  }
  return (*server)->run([&] { print_start_up(*config, (*server)->base_url(), generated); });
}
