#include "app/cli.hpp"

#include <gtest/gtest.h>

namespace sl::app {
namespace {

TEST(Cli, HelpAndVersion) {
  EXPECT_EQ(parse_command_line({"--help"})->kind, CommandKind::help);
  EXPECT_EQ(parse_command_line({"-h"})->kind, CommandKind::help);
  EXPECT_EQ(parse_command_line({"serve", "--help"})->kind, CommandKind::serve_help);
  EXPECT_EQ(parse_command_line({"serve", "--listen", "1.2.3.4:5", "-h"})->kind,
            CommandKind::serve_help);
  EXPECT_EQ(parse_command_line({"--version"})->kind, CommandKind::version);
}

TEST(Cli, EveryFlag) {
  auto r = parse_command_line(
      {"serve", "--config", "c.json", "--listen", "127.0.0.1:0", "--api-key", "k1",
       "--api-key=k2", "--data-dir", "/d", "--backend", "m=http://h/v1", "--model", "m2=/ckpt",
       "--demo", "--insecure-no-auth", "--allow-file-root", "/f", "--max-streams-per-key", "3",
       "--max-body-bytes", "100", "--threads", "4", "--cors-origin", "*", "--metrics-token", "t",
       "--log-level", "debug", "--shutdown-grace-ms", "250"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& o = r->options;
  EXPECT_EQ(r->kind, CommandKind::serve);
  EXPECT_EQ(*o.config_file, "c.json");
  EXPECT_EQ(*o.listen, "127.0.0.1:0");
  EXPECT_EQ(o.api_keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(*o.data_dir, "/d");
  EXPECT_EQ(o.backends, (std::vector<std::string>{"m=http://h/v1"}));
  EXPECT_EQ(o.models, (std::vector<std::string>{"m2=/ckpt"}));
  EXPECT_TRUE(o.demo);
  EXPECT_TRUE(o.insecure_no_auth);
  EXPECT_EQ(*o.allow_file_root, "/f");
  EXPECT_EQ(*o.max_streams_per_key, 3);
  EXPECT_EQ(*o.max_body_bytes, 100);
  EXPECT_EQ(*o.threads, 4);
  EXPECT_EQ(o.cors_origins, (std::vector<std::string>{"*"}));
  EXPECT_EQ(*o.metrics_token, "t");
  EXPECT_EQ(*o.log_level, "debug");
  EXPECT_EQ(*o.shutdown_grace_ms, 250);
}

TEST(Cli, NothingGivenStaysUnset) {
  auto r = parse_command_line({"serve"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->options.listen);
  EXPECT_FALSE(r->options.max_body_bytes);
  EXPECT_FALSE(r->options.demo);
}

TEST(Cli, BadInvocations) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"serve", "--nope"},
           {"serve", "--listen"},
           {"serve", "--threads", "many"},
           {"serve", "--max-body-bytes", "12x"},
           {"serve", "--demo=yes"},
           {"serve", "positional"}}) {
    auto r = parse_command_line(args);
    EXPECT_FALSE(r.ok()) << (args.empty() ? "(none)" : args.back());
    if (!r.ok()) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

TEST(Cli, HelpDocumentsEveryFlag) {
  std::string help = serve_usage_text();
  for (const char* f : {"--config", "--listen", "--api-key", "--data-dir", "--backend", "--model",
                        "--demo", "--insecure-no-auth", "--allow-file-root",
                        "--max-streams-per-key", "--max-body-bytes", "--threads",
                        "--cors-origin", "--metrics-token", "--log-level",
                        "--shutdown-grace-ms"})
    EXPECT_NE(help.find(f), std::string::npos) << f;
  EXPECT_NE(usage_text().find("sightline serve"), std::string::npos);
}

}  // namespace
}  // namespace sl::app
