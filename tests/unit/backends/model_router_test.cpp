#include "backends/model_router.hpp"

#include <gtest/gtest.h>

namespace sl {
namespace {

class NamedBackend final : public Backend {
 public:
  explicit NamedBackend(std::string name) : name_(std::move(name)) {}
  std::string model_name() const override { return name_; }
  BackendHealth health() const override { return BackendHealth{}; }
  boost::asio::awaitable<Result<boost::json::object>> complete(ChatCall) override {
    co_return make_error(ErrorCode::internal, "unused");
  }
  boost::asio::awaitable<Status> stream(ChatCall, ChunkSink) override {
    co_return make_error(ErrorCode::internal, "unused");
  }

 private:
  std::string name_;
};

TEST(ModelRouter, LooksUpByExactId) {
  ModelRouter router;
  ASSERT_TRUE(router.add(std::make_shared<NamedBackend>("a")).ok());
  ASSERT_TRUE(router.add(std::make_shared<NamedBackend>("b")).ok());
  auto b = router.lookup("b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->model_name(), "b");
  auto list = router.list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "a");
  EXPECT_EQ(list[1].id, "b");
  EXPECT_EQ(list[0].health.status, "ready");
}

TEST(ModelRouter, UnknownModelIsModelNotFound) {
  ModelRouter router;
  ASSERT_TRUE(router.add(std::make_shared<NamedBackend>("a")).ok());
  auto missing = router.lookup("A");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::model_not_found);
  EXPECT_EQ(to_string(missing.error().code), "model_not_found");
  EXPECT_EQ(missing.error().message, "The model 'A' does not exist");
  EXPECT_EQ(missing.error().param, "model");
}

TEST(ModelRouter, DuplicateModelIsRejected) {
  ModelRouter router;
  ASSERT_TRUE(router.add(std::make_shared<NamedBackend>("a")).ok());
  Status s = router.add(std::make_shared<NamedBackend>("a"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::invalid_request);
}

TEST(ModelRouter, BuildsHttpBackendsFromConfigs) {
  auto a = parse_backend_spec("a=http://127.0.0.1:1/v1");
  auto b = parse_backend_spec("b=https://127.0.0.1:2/v1;video=native");
  ASSERT_TRUE(a.ok() && b.ok());
  auto router = make_http_router({*a, *b});
  ASSERT_TRUE(router.ok()) << router.error().message;
  EXPECT_EQ(router->size(), 2u);
  EXPECT_TRUE(router->lookup("b").ok());

  auto dup = make_http_router({*a, *a});
  EXPECT_FALSE(dup.ok());
}

TEST(ModelRouter, MissingApiKeyVariableFailsAtStartup) {
  auto c = parse_backend_spec("a=http://127.0.0.1:1/v1;api_key_env=SL_TEST_SURELY_UNSET_VAR");
  ASSERT_TRUE(c.ok());
  auto router = make_http_router({*c});
  ASSERT_FALSE(router.ok());
  EXPECT_NE(router.error().message.find("SL_TEST_SURELY_UNSET_VAR"), std::string::npos);
}

}  // namespace
}  // namespace sl
