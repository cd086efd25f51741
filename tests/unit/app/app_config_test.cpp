#include "app/app_config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace sl::app {
namespace {

// A config file in the test's temp dir, removed afterwards.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& text) {
    path = std::filesystem::temp_directory_path() /
           ("sl_app_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json");
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

CliOptions cli(std::vector<std::string> args) {
  args.insert(args.begin(), "serve");
  auto r = parse_command_line(args);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r->options;
}

TEST(AppConfig, Defaults) {
  auto c = load_config(CliOptions{}, std::nullopt);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 8080);
  EXPECT_TRUE(c->api_keys.empty());
  EXPECT_FALSE(c->demo);
  EXPECT_EQ(c->limits.max_streams_per_key, 16);
  EXPECT_EQ(c->limits.max_body_bytes, 64ll << 20);
  EXPECT_EQ(c->streams.default_retention_seconds, 600);
  EXPECT_EQ(c->streams.default_ttl_seconds, 300);
  EXPECT_EQ(c->shutdown_grace_ms, 10'000);
}

TEST(AppConfig, FullFile) {
  AppConfig c;
  Status s = apply_config_json(R"({
    "listen": "0.0.0.0:9000", "api_keys": ["a", "b"], "data_dir": "/data", "demo": true,
    "insecure_no_auth": false, "allow_file_root": "/media",
    "limits": {"max_streams_per_key": 4, "max_body_bytes": 1000, "max_header_bytes": 4096,
               "max_connections": 10, "header_timeout_ms": 1, "body_timeout_ms": 2,
               "idle_timeout_ms": 3, "write_timeout_ms": 4},
    "streams": {"default_retention_seconds": 60, "max_retention_seconds": 120,
                "default_ttl_seconds": 30, "max_ttl_seconds": 90, "ended_linger_seconds": 5,
                "max_bytes_per_stream": 1000000, "decoded_keep": 4, "rendition_bytes": 100},
    "ingest": {"connect_timeout_ms": 11, "read_timeout_ms": 12, "backoff_initial_ms": 13,
               "backoff_max_ms": 14, "max_reconnects": 3, "max_width": 1920, "max_height": 1080},
    "cors_origins": ["https://app.example"], "metrics_token": "mt", "threads": 3,
    "backends": [{"model": "m", "base_url": "http://up/v1", "api_key_env": "K", "video": "native"},
                 "m2=https://other/v1"],
    "models": [{"model": "local", "checkpoint_dir": "/ckpt"}],
    "log_level": "warn", "shutdown_grace_ms": 500
  })", c);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 9000);
  EXPECT_EQ(c.api_keys.size(), 2u);
  EXPECT_TRUE(c.demo);
  EXPECT_EQ(c.limits.max_header_bytes, 4096);
  EXPECT_EQ(c.limits.write_timeout_ms, 4);
  EXPECT_EQ(c.streams.decoded_keep, 4);
  EXPECT_EQ(c.ingest.max_reconnects, 3);
  EXPECT_EQ(c.cors_origins.front(), "https://app.example");
  ASSERT_EQ(c.backends.size(), 2u);
  EXPECT_EQ(c.backends[0].video, VideoMode::native);
  EXPECT_EQ(c.backends[0].api_key_env, "K");
  EXPECT_EQ(c.backends[1].base_url, "https://other/v1");
  EXPECT_EQ(c.backends[1].video, VideoMode::frames);
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_EQ(c.models[0].checkpoint_dir, "/ckpt");
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.threads, 3);
}

TEST(AppConfig, UnknownKeysAreNamed) {
  struct Case {
    const char* json;
    const char* key;
  };
  for (const auto& t : {Case{R"({"listne": "x:1"})", "listne"},
                        Case{R"({"limits": {"max_body": 1}})", "limits.max_body"},
                        Case{R"({"streams": {"retention": 1}})", "streams.retention"},
                        Case{R"({"ingest": {"timeout": 1}})", "ingest.timeout"},
                        Case{R"({"backends": [{"model": "m", "url": "x"}]})", "backends[0].url"}}) {
    AppConfig c;
    Status s = apply_config_json(t.json, c);
    ASSERT_FALSE(s.ok()) << t.json;
    EXPECT_EQ(s.error().param, t.key);
    EXPECT_NE(s.error().message.find(t.key), std::string::npos) << s.error().message;
  }
}

TEST(AppConfig, WrongTypesAndValuesAreErrors) {
  for (const char* json : {R"([])", R"({"demo": "yes"})", R"({"threads": "4"})",
                           R"({"limits": 5})", R"({"limits": {"max_body_bytes": -1}})",
                           R"({"api_keys": "k"})", R"({"api_keys": [1]})", R"({"listen": "nope"})",
                           R"({"backends": [{"model": "m", "base_url": "ftp://x"}]})",
                           R"({"backends": [{"model": "m", "base_url": "http://x", "video": "x"}]})",
                           R"({"models": [{"model": "m"}]})", "{not json"}) {
    AppConfig c;
    EXPECT_FALSE(apply_config_json(json, c).ok()) << json;
  }
}

TEST(AppConfig, EngineSectionAndPerModelOverrides) {
  AppConfig c;
  ASSERT_TRUE(apply_config_json(R"({"engine": {"max_concurrent": 2, "max_queue": 0, "threads": 3,
      "vision_cache_bytes": 1024, "precision": "bf16", "device": "cuda:1"},
      "models": [{"model": "a", "checkpoint_dir": "/a", "precision": "f32", "device": "cpu"}, "b=/b"]})",
                                c)
                  .ok());
  EXPECT_EQ(c.engine.max_concurrent, 2);
  EXPECT_EQ(c.engine.max_queue, 0);
  EXPECT_EQ(c.engine.threads, 3);
  EXPECT_EQ(c.engine.vision_cache_bytes, 1024);
  EXPECT_EQ(c.engine.precision, "bf16");
  EXPECT_EQ(c.engine.device, "cuda:1");
  ASSERT_EQ(c.models.size(), 2u);
  EXPECT_EQ(c.models[0].precision, "f32");
  EXPECT_EQ(c.models[0].device, "cpu");
  EXPECT_EQ(c.models[1].precision, "");  // the engine section's
  for (auto [json, key] : {std::pair{R"({"engine": {"max_concurrent": 0}})", "engine.max_concurrent"},
                           {R"({"engine": {"max_queue": -1}})", "engine.max_queue"},
                           {R"({"engine": {"precision": "f16"}})", "engine.precision"},
                           {R"({"engine": {"batch": 4}})", "engine.batch"},
                           {R"({"models": [{"model": "m", "checkpoint_dir": "/m", "precision": "x"}]})",
                            "models[0].precision"}}) {
    AppConfig bad;
    Status s = apply_config_json(json, bad);
    ASSERT_FALSE(s.ok()) << json;
    EXPECT_EQ(s.error().param, key) << json;
  }
}

TEST(AppConfig, FlagsWinOverFile) {
  TempFile f(R"({"listen": "0.0.0.0:9000", "demo": false, "limits": {"max_body_bytes": 5000,
               "max_streams_per_key": 2}, "cors_origins": ["https://a"], "log_level": "warn",
               "metrics_token": "file"})");
  auto c = load_config(cli({"--config", f.path.string(), "--listen", "127.0.0.1:0", "--demo",
                            "--max-body-bytes", "100", "--cors-origin", "https://b",
                            "--metrics-token", "flag"}),
                       std::nullopt);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 0);
  EXPECT_TRUE(c->demo);
  EXPECT_EQ(c->limits.max_body_bytes, 100);
  EXPECT_EQ(c->limits.max_streams_per_key, 2);  // from the file, no flag
  EXPECT_EQ(c->cors_origins, (std::vector<std::string>{"https://b"}));
  EXPECT_EQ(c->log_level, "warn");
  EXPECT_EQ(c->metrics_token, "flag");
}

TEST(AppConfig, KeysFromFileEnvAndFlagsAreCombined) {
  TempFile f(R"({"api_keys": ["file-key", "shared"]})");
  auto c = load_config(cli({"--config", f.path.string(), "--api-key", "flag-key", "--api-key",
                            "shared"}),
                       std::string(" env-1 , env-2,,shared "));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->api_keys,
            (std::vector<std::string>{"file-key", "shared", "env-1", "env-2", "flag-key"}));
}

TEST(AppConfig, MissingOrBrokenFileIsAnError) {
  auto missing = load_config(cli({"--config", "/nonexistent/sightline.json"}), std::nullopt);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/sightline.json"), std::string::npos);
  TempFile f(R"({"bogus": 1})");
  auto bad = load_config(cli({"--config", f.path.string()}), std::nullopt);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("bogus"), std::string::npos);
}

TEST(AppConfig, BadFlagValuesAreErrors) {
  EXPECT_FALSE(load_config(cli({"--listen", "localhost"}), std::nullopt).ok());
  EXPECT_FALSE(load_config(cli({"--listen", "1.2.3.4:70000"}), std::nullopt).ok());
  EXPECT_FALSE(load_config(cli({"--backend", "nomodel"}), std::nullopt).ok());
  EXPECT_FALSE(load_config(cli({"--backend", "m=http://x/v1;colour=red"}), std::nullopt).ok());
  EXPECT_FALSE(load_config(cli({"--model", "m"}), std::nullopt).ok());
  EXPECT_FALSE(load_config(cli({"--max-streams-per-key", "0"}), std::nullopt).ok());
  EXPECT_FALSE(load_config(cli({"--max-body-bytes", "0"}), std::nullopt).ok());
  EXPECT_FALSE(load_config(cli({"--log-level", "loud"}), std::nullopt).ok());
  EXPECT_FALSE(load_config(cli({"--threads", "-1"}), std::nullopt).ok());
  EXPECT_FALSE(load_config(cli({"--api-key", "has space"}), std::nullopt).ok());
}

TEST(AppConfig, BackendAndModelFlags) {
  auto b = parse_backend_spec("qwen=http://127.0.0.1:8000/v1;api_key_env=UP_KEY;video=native");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->model, "qwen");
  EXPECT_EQ(b->base_url, "http://127.0.0.1:8000/v1");
  EXPECT_EQ(b->api_key_env, "UP_KEY");
  EXPECT_EQ(b->video, VideoMode::native);
  auto plain = parse_backend_spec("m=https://api.example/v1");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->video, VideoMode::frames);
  EXPECT_TRUE(plain->api_key_env.empty());
  auto m = parse_model_flag("small=/models/small");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->checkpoint_dir, "/models/small");
}

TEST(AppConfig, ListenForms) {
  auto v4 = parse_listen("127.0.0.1:0");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->first, "127.0.0.1");
  EXPECT_EQ(v4->second, 0);
  auto v6 = parse_listen("[::1]:8080");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 8080);
  for (const char* bad : {"", ":80", "host", "host:", "host:x", "::1:80", "[::1]80", "h:-1"})
    EXPECT_FALSE(parse_listen(bad).ok()) << bad;
}

TEST(AppConfig, KeyIsGeneratedOnlyWhenNeeded) {
  AppConfig none;
  auto k = ensure_api_key(none);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->rfind("sl-", 0), 0u);
  EXPECT_EQ(k->size(), 3u + 48u);
  EXPECT_EQ(none.api_keys, (std::vector<std::string>{*k}));
  AppConfig other;
  EXPECT_NE(*ensure_api_key(other), *k);

  AppConfig with_key;
  with_key.api_keys = {"mine"};
  EXPECT_FALSE(ensure_api_key(with_key).has_value());
  EXPECT_EQ(with_key.api_keys.size(), 1u);

  AppConfig insecure;
  insecure.insecure_no_auth = true;
  EXPECT_FALSE(ensure_api_key(insecure).has_value());
  EXPECT_TRUE(insecure.api_keys.empty());
}

TEST(AppConfig, WebRtcSection) {
  AppConfig c;
  Status s = apply_config_json(R"({"webrtc": {
      "no_media_timeout_ms": 2000, "bind_addresses": ["127.0.0.1", "10.0.0.5"],
      "allow_loopback": true, "udp_port_min": 40000, "udp_port_max": 40100,
      "public_ip": "203.0.113.7", "ice_tcp": false, "whip_wait_for_publisher": true,
      "whip_base_url": "https://cams.example.com",
      "ice_servers": [{"urls": "stun:stun.example.net"},
                      {"urls": ["turn:t.example.net:3478"], "username": "u", "credential": "p"}]}})",
                               c);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const WebRtcOptions& w = c.webrtc.options;
  EXPECT_EQ(w.no_media_timeout_ms, 2000);
  EXPECT_EQ(w.bind_addresses.size(), 2u);
  EXPECT_EQ(w.udp_port_min, 40000);
  EXPECT_EQ(w.udp_port_max, 40100);
  EXPECT_EQ(w.public_ip, "203.0.113.7");
  EXPECT_FALSE(w.ice_tcp);
  EXPECT_TRUE(w.whip_wait_for_publisher);
  ASSERT_EQ(w.ice_servers.size(), 2u);
  EXPECT_EQ(w.ice_servers[0].urls, std::vector<std::string>{"stun:stun.example.net"});
  EXPECT_EQ(w.ice_servers[1].username, "u");
  EXPECT_EQ(c.webrtc.whip_base_url, "https://cams.example.com");

  for (const char* bad : {
           R"({"webrtc": {"bind_addresses": ["127.0.0.1"]}})",
           R"({"webrtc": {"bind_addresses": ["eth0"]}})",
           R"({"webrtc": {"udp_port_min": 5000}})",
           R"({"webrtc": {"udp_port_min": 6000, "udp_port_max": 5000}})",
           R"({"webrtc": {"public_ip": "example.com"}})",
           R"({"webrtc": {"ice_servers": [{"urls": "http://x"}]}})",
           R"({"webrtc": {"ice_servers": [{"urls": "turn:x"}]}})",
           R"({"webrtc": {"ice_servers": [{"urls": "stun:x", "extra": 1}]}})",
           R"({"webrtc": {"max_offer_bytes": 10}})",
           R"({"webrtc": {"whip_base_url": "cams.example.com"}})",
           R"({"webrtc": {"bogus": 1}})"}) {
    AppConfig d;
    Status r = apply_config_json(bad, d);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().param.rfind("webrtc.", 0), 0u) << bad << " " << r.error().param;
  }
}

TEST(AppConfig, JobsSection) {
  AppConfig c;
  EXPECT_EQ(c.jobs.max_concurrent_runs, 64);
  ASSERT_TRUE(apply_config_json(
                  R"({"jobs": {"max_concurrent_runs": 4, "run_timeout_ms": 500, "min_gap_ms": 0}})", c)
                  .ok());
  EXPECT_EQ(c.jobs.max_concurrent_runs, 4);
  EXPECT_EQ(c.jobs.run_timeout_ms, 500);
  EXPECT_EQ(c.jobs.min_gap_ms, 0);
  Status bad = apply_config_json(R"({"jobs": {"max_concurrent_runs": 0}})", c);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "jobs.max_concurrent_runs");
  Status unknown = apply_config_json(R"({"jobs": {"queue": 1}})", c);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().param, "jobs.queue");
}

}  // namespace
}  // namespace sl::app
