#include "backends/backend_config.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(BackendSpec, MinimalSpecHasDefaults) {
  auto c = parse_backend_spec("qwen=http://127.0.0.1:8000/v1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->model, "qwen");
  EXPECT_EQ(c->base_url, "http://127.0.0.1:8000/v1");
  EXPECT_EQ(c->video, VideoMode::frames);
  EXPECT_EQ(c->api_key_env, "");
  EXPECT_EQ(c->connect_timeout_ms, 5000);
  EXPECT_EQ(c->first_byte_timeout_ms, 60000);
  EXPECT_EQ(c->idle_timeout_ms, 60000);
  EXPECT_EQ(c->total_timeout_ms, 600000);
}

TEST(BackendSpec, AllOptions) {
  auto c = parse_backend_spec(
      "gpt-4o=https://api.openai.com/v1;api_key_env=OPENAI_API_KEY;video=native;"
      "upstream_model=gpt-4o-2024-08-06;timeout_ms=30000;connect_timeout_ms=1000;"
      "first_byte_timeout_ms=2000;idle_timeout_ms=3000");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->model, "gpt-4o");
  EXPECT_EQ(c->base_url, "https://api.openai.com/v1");
  EXPECT_EQ(c->api_key_env, "OPENAI_API_KEY");
  EXPECT_EQ(c->video, VideoMode::native);
  EXPECT_EQ(c->upstream_model, "gpt-4o-2024-08-06");
  EXPECT_EQ(c->total_timeout_ms, 30000);
  EXPECT_EQ(c->connect_timeout_ms, 1000);
  EXPECT_EQ(c->first_byte_timeout_ms, 2000);
  EXPECT_EQ(c->idle_timeout_ms, 3000);
}

TEST(BackendSpec, CapacityAndProbeInterval) {
  auto defaults = parse_backend_spec("m=http://127.0.0.1:8000/v1");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_concurrent, 0);
  EXPECT_EQ(defaults->probe_interval_ms, 10000);
  auto c = parse_backend_spec("m=http://127.0.0.1:8000/v1;max_concurrent=4;probe_interval_ms=0");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->max_concurrent, 4);
  EXPECT_EQ(c->probe_interval_ms, 0);
  auto j = parse_backend_json(
      boost::json::parse(R"({"model":"m","base_url":"http://h/v1","max_concurrent":2,"probe_interval_ms":500})"),
      "backends[0]");
  ASSERT_TRUE(j.ok()) << j.error().message;
  EXPECT_EQ(j->max_concurrent, 2);
  EXPECT_EQ(j->probe_interval_ms, 500);
  EXPECT_FALSE(parse_backend_spec("m=http://h/v1;max_concurrent=-1").ok());
  EXPECT_FALSE(parse_backend_spec("m=http://h/v1;probe_interval_ms=x").ok());
}

TEST(BackendSpec, ModelIdsMayContainSlashesAndColons) {
  auto c = parse_backend_spec("Qwen/Qwen2.5-VL-7B-Instruct=http://gpu1:8000/v1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->model, "Qwen/Qwen2.5-VL-7B-Instruct");
  auto o = parse_backend_spec("llava:7b=http://localhost:11434/v1;");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->model, "llava:7b");
}

TEST(BackendSpec, BadSpecsAreInvalidRequest) {
  for (const char* spec : {
           "no-equals-sign",
           "=http://h/v1",                         // empty model
           "m=",                                   // no URL
           "m=ftp://h/v1",                         // scheme
           "m=http:///v1",                         // no host
           "m=http://h:99999/v1",                  // port
           "m=http://h/v1?x=1",                    // query
           "m=http://user:pw@h/v1",                // credentials in URL
           "m=http://h/v1;video=mp4",              // video mode
           "m=http://h/v1;timeout_ms=0",           // timeout
           "m=http://h/v1;timeout_ms=abc",
           "m=http://h/v1;colour=blue",            // unknown key
           "m=http://h/v1;api_key_env",            // not key=value
           "two words=http://h/v1",
       }) {
    auto c = parse_backend_spec(spec);
    ASSERT_FALSE(c.ok()) << spec;
    EXPECT_EQ(c.error().code, ErrorCode::invalid_request) << spec;
    EXPECT_EQ(c.error().param, "--backend") << spec;
  }
}

TEST(BackendJson, ArrayAndObjectForms) {
  auto arr = parse_backends_json(boost::json::parse(R"([
      {"model":"a","base_url":"http://127.0.0.1:1/v1","video":"native","timeout_ms":1500},
      {"model":"b","base_url":"https://h.example/openai/v1","api_key_env":"KEY"}])"));
  ASSERT_TRUE(arr.ok()) << arr.error().message;
  ASSERT_EQ(arr->size(), 2u);
  EXPECT_EQ((*arr)[0].model, "a");
  EXPECT_EQ((*arr)[0].video, VideoMode::native);
  EXPECT_EQ((*arr)[0].total_timeout_ms, 1500);
  EXPECT_EQ((*arr)[1].api_key_env, "KEY");

  auto obj = parse_backends_json(boost::json::parse(
      R"({"llava":{"base_url":"http://localhost:11434/v1","idle_timeout_ms":"2500"}})"));
  ASSERT_TRUE(obj.ok()) << obj.error().message;
  ASSERT_EQ(obj->size(), 1u);
  EXPECT_EQ((*obj)[0].model, "llava");
  EXPECT_EQ((*obj)[0].idle_timeout_ms, 2500);
}

TEST(BackendJson, ErrorsNameTheField) {
  auto missing = parse_backends_json(boost::json::parse(R"([{"model":"a"}])"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().param, "backends[0]");
  auto unknown = parse_backends_json(
      boost::json::parse(R"([{"model":"a","base_url":"http://h/v1","vidoe":"frames"}])"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().param, "backends[0].vidoe");
  auto wrong_type = parse_backends_json(
      boost::json::parse(R"([{"model":"a","base_url":"http://h/v1","timeout_ms":1.5}])"));
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_FALSE(parse_backends_json(boost::json::parse("42")).ok());
}

}  // namespace
}  // namespace sl
