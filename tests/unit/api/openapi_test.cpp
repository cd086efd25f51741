#include "api/openapi.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "api/ops_handlers.hpp"
#include "api/overshoot_handlers.hpp"
#include "api/chat_handlers.hpp"
#include "api/job_handlers.hpp"
#include "api/stream_handlers.hpp"
#include "api/whip_handlers.hpp"

namespace sl::api {
namespace {

TEST(OpenApi, ParsesAndListsEveryRoutedPattern) {
  auto doc = boost::json::parse(openapi_document()).as_object();
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  const auto& paths = doc.at("paths").as_object();

  Router router;
  std::atomic<bool> ready{true};
  Metrics metrics;
  add_ops_routes(router, OpsRouteDeps{&metrics, &ready, ""});
  add_stream_routes(router, StreamRouteDeps{});
  add_chat_routes(router, ChatRouteDeps{});
  add_whip_routes(router, WhipRouteDeps{});
  add_overshoot_routes(router, OvershootRouteDeps{});
  add_job_routes(router, JobRouteDeps{});
  for (const auto& r : router.routes()) {
    SCOPED_TRACE(r.pattern);
    ASSERT_TRUE(paths.contains(r.pattern));
    std::string method(http::to_string(r.method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_TRUE(paths.at(r.pattern).as_object().contains(method)) << method;
  }
}

}  // namespace
}  // namespace sl::api
