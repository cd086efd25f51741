// Server (app/server.hpp): the composition root builds, serves on a picked port, reports
// start-up failures as values with their exit code, and stops gracefully on shutdown().
#include "app/server.hpp"

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace sl::app {
namespace {
namespace asio = boost::asio;

AppConfig test_config() {
  AppConfig c;
  c.listen_host = "127.0.0.1";
  c.listen_port = 0;
  c.api_keys = {"sk-test"};
  c.threads = 2;
  c.chat.media_threads = 1;
  c.shutdown_grace_ms = 2000;
  return c;
}

// One HTTP/1.1 request with Connection: close; returns the whole response.
std::string http_get(const std::string& base_url, const std::string& target, const std::string& auth = "") {
  const auto colon = base_url.rfind(':');
  const std::string port = base_url.substr(colon + 1);
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  asio::ip::tcp::socket socket(ioc);
  asio::connect(socket, resolver.resolve("127.0.0.1", port));
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  if (!auth.empty()) req += "Authorization: Bearer " + auth + "\r\n";
  req += "\r\n";
  asio::write(socket, asio::buffer(req));
  std::string response;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(response), ec);
  return response;
}

TEST(Server, BuildsServesAndStopsOnShutdown) {
  auto built = Server::build(test_config());
  ASSERT_TRUE(built.ok()) << built.error().message;
  Server& server = **built;
  EXPECT_EQ(server.base_url().rfind("http://127.0.0.1:", 0), 0u) << server.base_url();

  std::promise<void> serving;
  std::future<int> exit_code = std::async(std::launch::async, [&] {
    return server.run([&] { serving.set_value(); });
  });
  serving.get_future().wait();
  EXPECT_NE(http_get(server.base_url(), "/readyz").find(" 200 "), std::string::npos);
  const std::string streams = http_get(server.base_url(), "/v1/streams", "sk-test");
  EXPECT_NE(streams.find(" 200 "), std::string::npos) << streams;
  EXPECT_NE(http_get(server.base_url(), "/v1/streams").find(" 401 "), std::string::npos);

  server.shutdown();
  server.shutdown();  // a second request is harmless
  EXPECT_EQ(exit_code.get(), 0);
}

TEST(Server, DemoStreamIsThereWhenBuildReturns) {
  AppConfig c = test_config();
  c.demo = true;
  auto built = Server::build(c);
  ASSERT_TRUE(built.ok()) << built.error().message;
  std::promise<void> serving;
  std::future<int> exit_code = std::async(std::launch::async, [&] {
    return (*built)->run([&] { serving.set_value(); });
  });
  serving.get_future().wait();
  const std::string demo = http_get((*built)->base_url(), "/v1/streams/demo", "sk-test");
  EXPECT_NE(demo.find(" 200 "), std::string::npos) << demo;
  (*built)->shutdown();
  EXPECT_EQ(exit_code.get(), 0);
}

TEST(Server, PortInUseIsAStartErrorWithExitCodeOne) {
  auto first = Server::build(test_config());
  ASSERT_TRUE(first.ok()) << first.error().message;
  AppConfig c = test_config();
  c.listen_port = static_cast<uint16_t>(std::stoi((*first)->base_url().substr((*first)->base_url().rfind(':') + 1)));
  auto second = Server::build(c);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().exit_code, 1);
  EXPECT_NE(second.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos)
      << second.error().message;
}

TEST(Server, BadBackendIsAConfigurationErrorWithExitCodeTwo) {
  AppConfig c = test_config();
  HttpBackendConfig b;
  b.model = "m";
  b.base_url = "not a url";
  c.backends.push_back(b);
  auto built = Server::build(c);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().exit_code, 2);
}

TEST(Server, DestroyedWithoutRunning) {
  auto built = Server::build(test_config());
  ASSERT_TRUE(built.ok()) << built.error().message;
  built = StartError{0, "replaced"};  // destroys the server that never ran
  SUCCEED();
}

}  // namespace
}  // namespace sl::app
