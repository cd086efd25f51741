// The command line (SPEC.md section 8): `sightline serve [flags]`, `sightline --help`,
// `sightline serve --help`. Parsed by hand into CliOptions, where "not given" stays distinct
// from "given" so config-file values survive unless a flag overrides them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace sl::app {

struct CliOptions {
  std::optional<std::string> config_file;
  std::optional<std::string> listen;
  std::vector<std::string> api_keys;
  std::optional<std::string> data_dir;
  std::vector<std::string> backends;
  std::vector<std::string> models;
  bool demo = false;
  bool insecure_no_auth = false;
  std::optional<std::string> allow_file_root;
  std::optional<int64_t> max_streams_per_key;
  std::optional<int64_t> max_body_bytes;
  std::optional<int64_t> threads;
  std::vector<std::string> cors_origins;
  std::optional<std::string> metrics_token;
  std::optional<std::string> log_level;
  std::optional<int64_t> shutdown_grace_ms;
};

enum class CommandKind { serve, help, serve_help, version };

struct Command {
  CommandKind kind = CommandKind::help;
  CliOptions options;
};

// `args` excludes argv[0]. Errors are invalid_request with a message for stderr.
Result<Command> parse_command_line(const std::vector<std::string>& args);

std::string usage_text();        // sightline --help
std::string serve_usage_text();  // sightline serve --help

}  // namespace sl::app
