#include "app/cli.hpp"

#include <charconv>

namespace sl::app {
namespace {

Error usage_error(const std::string& message) {
  return make_error(ErrorCode::invalid_request, message);
}

Result<int64_t> parse_int(const std::string& flag, const std::string& text) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size())
    return usage_error(flag + " expects an integer, got '" + text + "'");
  return v;
}

}  // namespace

std::string usage_text() {
  return R"(sightline: live video for vision-language models

Usage:
  sightline serve [flags]     run the server (see `sightline serve --help`)
  sightline --help            this text
  sightline --version         print the version

)" + serve_usage_text();
}

std::string serve_usage_text() {
  return R"(Usage: sightline serve [flags]

Flags (each also has a config-file key, see docs/configuration.md; flags win over the file):
  --config FILE               JSON config file (default: none)
  --listen HOST:PORT          address to listen on (default: 127.0.0.1:8080; port 0 picks a free port)
  --api-key KEY               accept this API key; repeatable (default: none; keys also come from the
                              config file and SIGHTLINE_API_KEYS, comma-separated; with no key at all a
                              key is generated and printed once)
  --data-dir DIR              directory for data that outlives memory (default: none)
  --backend MODEL=BASE_URL[;api_key_env=VAR][;video=frames|native]
                              route MODEL to an OpenAI-compatible server; repeatable (default: none;
                              video defaults to frames)
  --model MODEL=CHECKPOINT_DIR
                              serve a local checkpoint with the in-process engine; repeatable
                              (default: none)
  --demo                      start a test_pattern stream with id "demo", visible to every key
                              (default: off)
  --insecure-no-auth          accept requests without an API key (default: off; never use on a network)
  --allow-file-root DIR       allow file:// sources under DIR (default: none, file:// refused)
  --max-streams-per-key N     concurrent streams per API key (default: 16)
  --max-body-bytes N          largest request body accepted, larger gets 413 (default: 67108864)
  --threads N                 I/O threads (default: 0 = one per CPU core)
  --cors-origin ORIGIN        allow browser requests from ORIGIN ("*" = any); repeatable (default: none)
  --metrics-token T           require "Authorization: Bearer T" on /metrics (default: none, open)
  --log-level L               debug | info | warn | error (default: info, or $SIGHTLINE_LOG)
  --shutdown-grace-ms N       on SIGTERM/SIGINT, time in-flight requests get to finish (default: 10000)
  -h, --help                  this text
)";
}

Result<Command> parse_command_line(const std::vector<std::string>& args) {
  Command cmd;
  if (args.empty()) return usage_error("missing command; try `sightline --help`");
  const std::string& first = args[0];
  if (first == "--help" || first == "-h" || first == "help") {
    cmd.kind = CommandKind::help;
    return cmd;
  }
  if (first == "--version" || first == "version") {
    cmd.kind = CommandKind::version;
    return cmd;
  }
  if (first != "serve") return usage_error("unknown command '" + first + "'; try `sightline --help`");
  cmd.kind = CommandKind::serve;
  CliOptions& o = cmd.options;

  for (size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> inline_value;
    if (flag.rfind("--", 0) == 0) {
      if (size_t eq = flag.find('='); eq != std::string::npos) {
        inline_value = flag.substr(eq + 1);
        flag.resize(eq);
      }
    }
    auto value = [&]() -> Result<std::string> {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) return usage_error(flag + " needs a value");
      return args[++i];
    };
    auto no_value = [&]() -> Status {
      if (inline_value) return usage_error(flag + " takes no value");
      return {};
    };
    auto set_str = [&](std::optional<std::string>& dst) -> Status {
      auto v = value();
      if (!v.ok()) return v.error();
      dst = *v;
      return {};
    };
    auto add_str = [&](std::vector<std::string>& dst) -> Status {
      auto v = value();
      if (!v.ok()) return v.error();
      dst.push_back(*v);
      return {};
    };
    auto set_int = [&](std::optional<int64_t>& dst) -> Status {
      auto v = value();
      if (!v.ok()) return v.error();
      auto n = parse_int(flag, *v);
      if (!n.ok()) return n.error();
      dst = *n;
      return {};
    };

    Status s;
    if (flag == "-h" || flag == "--help") {
      cmd.kind = CommandKind::serve_help;
      return cmd;
    } else if (flag == "--config") s = set_str(o.config_file);
    else if (flag == "--listen") s = set_str(o.listen);
    else if (flag == "--api-key") s = add_str(o.api_keys);
    else if (flag == "--data-dir") s = set_str(o.data_dir);
    else if (flag == "--backend") s = add_str(o.backends);
    else if (flag == "--model") s = add_str(o.models);
    else if (flag == "--demo") { s = no_value(); o.demo = true; }
    else if (flag == "--insecure-no-auth") { s = no_value(); o.insecure_no_auth = true; }
    else if (flag == "--allow-file-root") s = set_str(o.allow_file_root);
    else if (flag == "--max-streams-per-key") s = set_int(o.max_streams_per_key);
    else if (flag == "--max-body-bytes") s = set_int(o.max_body_bytes);
    else if (flag == "--threads") s = set_int(o.threads);
    else if (flag == "--cors-origin") s = add_str(o.cors_origins);
    else if (flag == "--metrics-token") s = set_str(o.metrics_token);
    else if (flag == "--log-level") s = set_str(o.log_level);
    else if (flag == "--shutdown-grace-ms") s = set_int(o.shutdown_grace_ms);
    else return usage_error("unknown flag '" + args[i] + "'; try `sightline serve --help`");
    if (!s.ok()) return s.error();
  }
  return cmd;
}

}  // namespace sl::app
