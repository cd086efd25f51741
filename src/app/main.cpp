// sightline entry point: parse the command line, assemble the configuration, run the server.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/app_config.hpp"
#include "app/cli.hpp"
#include "app/server_app.hpp"

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
  auto generated = sl::app::ensure_api_key(*config);
  return sl::app::run_server(*config, generated);
}
