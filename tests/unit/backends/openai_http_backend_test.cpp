#include "backends/openai_http_backend.hpp"

#include <cstdlib>
#include <optional>
#include <thread>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "backends/upstream_error.hpp"
#include "core/base64.hpp"
#include "media/mp4_mux.hpp"
#include "test_jpegs.hpp"
#include "test_server.hpp"

namespace sl {
namespace {

namespace json = boost::json;
using namespace sl::testing;

constexpr const char* kKeyVar = "SL_BACKENDS_TEST_API_KEY";

std::shared_ptr<OpenAiHttpBackend> make_backend(const std::string& base_url,
                                                void (*tweak)(HttpBackendConfig&) = nullptr) {
  HttpBackendConfig c;
  c.model = "qwen";
  c.base_url = base_url;
  c.connect_timeout_ms = 2000;
  c.first_byte_timeout_ms = 5000;
  c.idle_timeout_ms = 5000;
  c.total_timeout_ms = 20000;
  if (tweak) tweak(c);
  auto backend = OpenAiHttpBackend::create(c);
  EXPECT_TRUE(backend.ok()) << backend.error().message;
  return backend.ok() ? *backend : nullptr;
}

ChatCall make_call(bool stream = false) {
  ChatCall call;
  call.body = json::parse(R"({"model":"qwen","max_tokens":16,
      "messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},
                                            {"type":"ovs_media","index":0}]}]})").as_object();
  if (stream) {
    call.body["stream"] = true;
    call.body["stream_options"] = json::parse(R"({"include_usage":true})");
  }
  call.media.push_back(ResolvedMedia{false, {make_test_frame(3, 1500)}});
  return call;
}

constexpr std::string_view kCompletion =
    R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"upstream-name",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"a cat"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}})";

std::string chunk_json(std::string_view content, bool last = false) {
  json::object delta;
  delta["content"] = content;
  json::object choice;
  choice["index"] = 0;
  choice["delta"] = std::move(delta);
  choice["finish_reason"] = last ? json::value("stop") : json::value(nullptr);
  json::object chunk;
  chunk["id"] = "c1";
  chunk["object"] = "chat.completion.chunk";
  chunk["model"] = "upstream-name";
  chunk["choices"] = json::array{std::move(choice)};
  return json::serialize(chunk);
}

std::string content_of(const json::object& chunk) {
  return std::string(chunk.at("choices").as_array()[0].at("delta").at("content").as_string());
}

struct StreamOutcome {
  std::optional<Status> status;
  std::vector<json::object> chunks;
};

// Runs backend->stream() against `server` until both sides are done.
StreamOutcome run_stream(asio::io_context& io, TestServer& server, OpenAiHttpBackend& backend,
                         size_t stop_after = SIZE_MAX) {
  StreamOutcome out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    out.status = co_await backend.stream(make_call(true), [&](json::object chunk) -> asio::awaitable<bool> {
      out.chunks.push_back(std::move(chunk));
      co_return out.chunks.size() < stop_after;
    });
    server.stop();
  }, asio::detached);
  io.run();
  return out;
}

std::optional<Result<json::object>> run_complete(asio::io_context& io, TestServer* server,
                                                 OpenAiHttpBackend& backend) {
  std::optional<Result<json::object>> result;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    result = co_await backend.complete(make_call());
    if (server) server->stop();
  }, asio::detached);
  io.run();
  return result;
}

TEST(OpenAiHttpBackend, CompleteSendsExpandedRequestAndReturnsCompletion) {
  ::setenv(kKeyVar, "sk-test-123", 1);
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, http_response(200, "application/json", kCompletion));
  });
  auto backend = make_backend(server.base_url(), [](HttpBackendConfig& c) {
    c.api_key_env = kKeyVar;
    c.upstream_model = "upstream-name";
  });
  ::unsetenv(kKeyVar);  // read once at creation: later changes do not matter
  auto result = run_complete(io, &server, *backend);

  ASSERT_TRUE(result && result->ok()) << result->error().message;
  EXPECT_EQ((*result)->at("object"), "chat.completion");
  EXPECT_EQ((*result)->at("model"), "qwen");  // the client's id, not the upstream's
  EXPECT_EQ((*result)->at("choices").as_array()[0].at("message").at("content"), "a cat");

  ASSERT_EQ(server.requests.size(), 1u);
  const ServerRequest& req = server.requests[0];
  EXPECT_EQ(req.method(), http::verb::post);
  EXPECT_EQ(req.target(), "/v1/chat/completions");
  EXPECT_EQ(req[http::field::authorization], "Bearer sk-test-123");
  EXPECT_EQ(req[http::field::content_type], "application/json");
  EXPECT_EQ(req[http::field::host], "127.0.0.1:" + std::to_string(server.port()));
  json::object sent = json::parse(req.body()).as_object();
  EXPECT_EQ(sent.at("model"), "upstream-name");
  EXPECT_EQ(sent.at("stream"), false);
  EXPECT_EQ(sent.at("max_tokens"), 16);
  const json::array& parts = sent.at("messages").as_array()[0].at("content").as_array();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].at("image_url").at("url").as_string(),
            "data:image/jpeg;base64," + base64_encode(*make_call().media[0].frames[0].jpeg));
  EXPECT_EQ(backend->health().status, "ready");
  EXPECT_EQ(backend->health().in_flight, 0);
}

TEST(OpenAiHttpBackend, NoAuthorizationHeaderWithoutKey) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, http_response(200, "application/json", kCompletion));
  });
  auto backend = make_backend(server.base_url());
  auto result = run_complete(io, &server, *backend);
  ASSERT_TRUE(result && result->ok());
  EXPECT_EQ((*result)->at("model"), "upstream-name");  // no upstream_model: passed through
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].count(http::field::authorization), 0u);
}

TEST(OpenAiHttpBackend, StreamRelaysChunksInOrderAcrossSplitBoundaries) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    // One SSE text, cut into HTTP chunks at awkward places: inside JSON, between \r and \n.
    std::string sse = ": ping\r\n\r\n";
    sse += "data: " + chunk_json("Hel") + "\r\n\r\n";
    sse += "data: " + chunk_json("lo, ") + "\n\n";
    sse += "data: " + chunk_json("world", true) + "\r\n\r\n";
    sse += "data: [DONE]\r\n\r\n";
    std::string body;
    const size_t cuts[] = {3, 17, 40, 41, 90, 150, 151, 152, 230};
    size_t pos = 0;
    for (size_t cut : cuts) {
      if (cut >= sse.size()) break;
      body += http_chunk(std::string_view(sse).substr(pos, cut - pos));
      pos = cut;
    }
    body += http_chunk(std::string_view(sse).substr(pos));
    co_await write_raw(s, std::string(kSseHeader));
    // Byte-sized writes, so the client also sees the HTTP framing split everywhere.
    for (size_t i = 0; i < body.size(); i += 7) co_await write_raw(s, body.substr(i, 7));
    co_await write_raw(s, std::string(kLastChunk));
  });
  auto backend = make_backend(server.base_url());
  auto out = run_stream(io, server, *backend);

  ASSERT_TRUE(out.status.has_value());
  ASSERT_TRUE(out.status->ok()) << out.status->error().message;
  ASSERT_EQ(out.chunks.size(), 3u);
  EXPECT_EQ(content_of(out.chunks[0]), "Hel");
  EXPECT_EQ(content_of(out.chunks[1]), "lo, ");
  EXPECT_EQ(content_of(out.chunks[2]), "world");

  ASSERT_EQ(server.requests.size(), 1u);
  json::object sent = json::parse(server.requests[0].body()).as_object();
  EXPECT_EQ(sent.at("stream"), true);
  EXPECT_EQ(sent.at("stream_options"), json::parse(R"({"include_usage":true})"));
  EXPECT_EQ(server.requests[0][http::field::accept], "text/event-stream");
}

TEST(OpenAiHttpBackend, StreamEndingWithoutDoneOrFinishIsAnError) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, std::string(kSseHeader));
    co_await write_raw(s, http_chunk("data: " + chunk_json("partial") + "\n\n"));
    co_await write_raw(s, std::string(kLastChunk));
  });
  auto backend = make_backend(server.base_url());
  auto out = run_stream(io, server, *backend);
  ASSERT_TRUE(out.status.has_value());
  ASSERT_FALSE(out.status->ok());
  EXPECT_EQ(out.status->error().code, ErrorCode::upstream_error);
  EXPECT_EQ(out.chunks.size(), 1u);
}

TEST(OpenAiHttpBackend, StreamEndingAfterFinishReasonWithoutDoneIsAccepted) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    // Close-delimited body (no length, not chunked), last event without its blank line.
    co_await write_raw(s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
    co_await write_raw(s, "data: " + chunk_json("bye", true));
    s.close();
  });
  auto backend = make_backend(server.base_url());
  auto out = run_stream(io, server, *backend);
  ASSERT_TRUE(out.status.has_value());
  EXPECT_TRUE(out.status->ok()) << out.status->error().message;
  ASSERT_EQ(out.chunks.size(), 1u);
}

TEST(OpenAiHttpBackend, ClientGoneClosesUpstreamConnection) {
  asio::io_context io;
  bool saw_hangup = false;
  TestServer server(io, [&](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, std::string(kSseHeader));
    co_await write_raw(s, http_chunk("data: " + chunk_json("one") + "\n\n"));
    // The stream is not over: only the client hanging up ends this connection.
    saw_hangup = co_await wait_for_hangup(s);
  });
  auto backend = make_backend(server.base_url());
  auto out = run_stream(io, server, *backend, /*stop_after=*/1);
  ASSERT_TRUE(out.status.has_value());
  ASSERT_FALSE(out.status->ok());
  EXPECT_EQ(out.status->error().code, ErrorCode::cancelled);
  EXPECT_EQ(out.chunks.size(), 1u);
  EXPECT_TRUE(saw_hangup);
  EXPECT_EQ(backend->health().status, "ready");  // a client leaving is not a backend failure
}

TEST(OpenAiHttpBackend, ErrorInsideStreamIsUpstreamError) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, std::string(kSseHeader));
    co_await write_raw(s, http_chunk("data: " + chunk_json("a") + "\n\n"));
    co_await write_raw(s, http_chunk(R"(data: {"error":{"message":"engine died","code":500}})"
                                     "\n\n"));
    co_await write_raw(s, std::string(kLastChunk));
  });
  auto backend = make_backend(server.base_url());
  auto out = run_stream(io, server, *backend);
  ASSERT_TRUE(out.status.has_value());
  ASSERT_FALSE(out.status->ok());
  EXPECT_EQ(out.status->error().code, ErrorCode::upstream_error);
  EXPECT_NE(out.status->error().message.find("engine died"), std::string::npos);
  EXPECT_EQ(out.chunks.size(), 1u);
}

TEST(OpenAiHttpBackend, MalformedChunkIsUpstreamError) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, std::string(kSseHeader));
    co_await write_raw(s, http_chunk("data: {not json\n\n"));
    co_await write_raw(s, std::string(kLastChunk));
  });
  auto backend = make_backend(server.base_url());
  auto out = run_stream(io, server, *backend);
  ASSERT_TRUE(out.status.has_value());
  ASSERT_FALSE(out.status->ok());
  EXPECT_EQ(out.status->error().code, ErrorCode::upstream_error);
}

TEST(OpenAiHttpBackend, Upstream500IsUpstreamErrorWithItsMessage) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, http_response(500, "application/json",
                                        R"({"error":{"message":"boom","type":"server_error"}})"));
  });
  auto backend = make_backend(server.base_url());
  auto result = run_complete(io, &server, *backend);
  ASSERT_TRUE(result && !result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::upstream_error);
  EXPECT_EQ(result->error().message, "upstream HTTP 500: boom");
  EXPECT_EQ(upstream_http_status(result->error()), 500u);
  EXPECT_EQ(backend->health().status, "degraded");
  EXPECT_EQ(backend->health().consecutive_failures, 1);
}

TEST(OpenAiHttpBackend, Upstream400OnStreamKeepsStatusAndIsNotABackendFailure) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, http_response(400, "application/json",
                                        R"({"error":{"message":"bad image","type":"invalid_request_error"}})"));
  });
  auto backend = make_backend(server.base_url());
  auto out = run_stream(io, server, *backend);
  ASSERT_TRUE(out.status.has_value());
  ASSERT_FALSE(out.status->ok());
  EXPECT_EQ(out.status->error().code, ErrorCode::upstream_error);
  EXPECT_EQ(upstream_http_status(out.status->error()), 400u);
  EXPECT_TRUE(out.chunks.empty());
  EXPECT_EQ(backend->health().status, "ready");
}

TEST(OpenAiHttpBackend, MalformedJsonIsUpstreamError) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, http_response(200, "application/json", "{\"choices\": ["));
  });
  auto backend = make_backend(server.base_url());
  auto result = run_complete(io, &server, *backend);
  ASSERT_TRUE(result && !result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::upstream_error);
}

TEST(OpenAiHttpBackend, OversizedResponseIsUpstreamError) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, http_response(200, "application/json", std::string(5000, ' ') + "{}"));
  });
  auto backend = make_backend(server.base_url(), [](HttpBackendConfig& c) { c.max_response_bytes = 1024; });
  auto result = run_complete(io, &server, *backend);
  ASSERT_TRUE(result && !result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::upstream_error);
}

TEST(OpenAiHttpBackend, RefusedPortIsUpstreamUnavailable) {
  asio::io_context io;
  unsigned short port = 0;
  {
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  auto backend = make_backend("http://127.0.0.1:" + std::to_string(port) + "/v1");
  auto result = run_complete(io, nullptr, *backend);
  ASSERT_TRUE(result && !result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::upstream_unavailable);
  EXPECT_EQ(backend->health().status, "unavailable");
}

TEST(OpenAiHttpBackend, ConnectionClosedBeforeResponseIsUpstreamUnavailable) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    s.close();
    co_return;
  });
  auto backend = make_backend(server.base_url());
  auto result = run_complete(io, &server, *backend);
  ASSERT_TRUE(result && !result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::upstream_unavailable);
}

TEST(OpenAiHttpBackend, SlowUpstreamIsUpstreamTimeout) {
  asio::io_context io;
  bool saw_hangup = false;
  TestServer server(io, [&](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    saw_hangup = co_await wait_for_hangup(s);  // never answers
  });
  auto backend = make_backend(server.base_url(), [](HttpBackendConfig& c) { c.first_byte_timeout_ms = 150; });
  auto result = run_complete(io, &server, *backend);
  ASSERT_TRUE(result && !result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::upstream_timeout);
  EXPECT_NE(result->error().message.find("150 ms"), std::string::npos) << result->error().message;
  EXPECT_TRUE(saw_hangup);
}

TEST(OpenAiHttpBackend, StalledStreamIsUpstreamTimeout) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, std::string(kSseHeader));
    co_await write_raw(s, http_chunk("data: " + chunk_json("a") + "\n\n"));
    co_await wait_for_hangup(s);
  });
  auto backend = make_backend(server.base_url(), [](HttpBackendConfig& c) { c.idle_timeout_ms = 150; });
  auto out = run_stream(io, server, *backend);
  ASSERT_TRUE(out.status.has_value());
  ASSERT_FALSE(out.status->ok());
  EXPECT_EQ(out.status->error().code, ErrorCode::upstream_timeout);
  EXPECT_EQ(out.chunks.size(), 1u);
}

TEST(OpenAiHttpBackend, TotalTimeoutBoundsAStreamThatKeepsTrickling) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, std::string(kSseHeader));
    asio::steady_timer timer(s.get_executor());
    for (;;) {  // keep-alive comments well inside the idle timeout, until the client leaves
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      auto [ec, n] = co_await asio::async_write(s, asio::buffer(http_chunk(": ping\n\n")),
                                                asio::as_tuple(asio::use_awaitable));
      (void)n;
      if (ec) co_return;
    }
  });
  auto backend = make_backend(server.base_url(), [](HttpBackendConfig& c) {
    c.idle_timeout_ms = 5000;
    c.total_timeout_ms = 250;
  });
  auto out = run_stream(io, server, *backend);
  ASSERT_TRUE(out.status.has_value());
  ASSERT_FALSE(out.status->ok());
  EXPECT_EQ(out.status->error().code, ErrorCode::upstream_timeout);
  EXPECT_NE(out.status->error().message.find("total"), std::string::npos) << out.status->error().message;
}

TEST(OpenAiHttpBackend, CallerCancellationClosesUpstreamConnection) {
  // The api may cancel a non-streaming call itself (its client left): the pending read is
  // aborted at once, long before any upstream timeout.
  using namespace boost::asio::experimental::awaitable_operators;
  asio::io_context io;
  bool saw_hangup = false;
  TestServer server(io, [&](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    saw_hangup = co_await wait_for_hangup(s);
  });
  auto backend = make_backend(server.base_url(), [](HttpBackendConfig& c) {
    c.first_byte_timeout_ms = 60000;
    c.total_timeout_ms = 60000;
  });
  std::optional<Result<json::object>> result;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::steady_timer client_gone(io, std::chrono::milliseconds(30));
    auto call = [&]() -> asio::awaitable<void> { result = co_await backend->complete(make_call()); };
    co_await (call() || client_gone.async_wait(asio::use_awaitable));
    server.stop();
  }, asio::detached);
  io.run();
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::cancelled) << result->error().message;
  EXPECT_TRUE(saw_hangup);
  EXPECT_EQ(backend->health().in_flight, 0);
  EXPECT_EQ(backend->health().status, "ready");
}

TEST(OpenAiHttpBackend, NativeVideoIsBuiltOnTheMediaExecutor) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, http_response(200, "application/json", kCompletion));
  });
  asio::thread_pool pool(1);
  HttpBackendConfig c;
  c.model = "qwen";
  c.base_url = server.base_url();
  c.video = VideoMode::native;
  auto backend = OpenAiHttpBackend::create(c, pool.get_executor());
  ASSERT_TRUE(backend.ok());
  ChatCall call = make_call();
  call.media[0] = ResolvedMedia{true, {make_test_frame(1, 0), make_test_frame(2, 1000)}};
  std::optional<Result<json::object>> result;
  std::thread::id resumed_on;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    result = co_await (*backend)->complete(std::move(call));
    resumed_on = std::this_thread::get_id();
    server.stop();
  }, asio::detached);
  io.run();
  pool.join();
  ASSERT_TRUE(result && result->ok()) << result->error().message;
  EXPECT_TRUE(resumed_on == std::this_thread::get_id());  // back on the caller's executor
  ASSERT_EQ(server.requests.size(), 1u);
  json::object sent = json::parse(server.requests[0].body()).as_object();
  const json::array& parts = sent.at("messages").as_array()[0].at("content").as_array();
  ASSERT_EQ(parts.size(), 2u);
  ASSERT_EQ(parts[1].at("type"), "video_url");
  const std::string_view url = parts[1].at("video_url").at("url").as_string();
  auto mp4 = base64_decode(url.substr(url.find(',') + 1));
  ASSERT_TRUE(mp4.ok());
  auto info = probe_mp4(*mp4);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->pts_ms, (std::vector<int64_t>{0, 1000}));
}

TEST(OpenAiHttpBackend, ListsUpstreamModels) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    co_await write_raw(s, http_response(200, "application/json",
                                        R"({"object":"list","data":[{"id":"upstream-name"}]})"));
  });
  auto backend = make_backend(server.base_url());
  std::optional<Result<json::object>> result;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    result = co_await backend->list_upstream_models();
    server.stop();
  }, asio::detached);
  io.run();
  ASSERT_TRUE(result && result->ok());
  EXPECT_EQ((*result)->at("data").as_array()[0].at("id"), "upstream-name");
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method(), http::verb::get);
  EXPECT_EQ(server.requests[0].target(), "/v1/models");
}

// Runs one health probe against `server` (or a refused port when null).
void run_probe(asio::io_context& io, TestServer* server, OpenAiHttpBackend& backend) {
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await backend.probe();
    if (server) server->stop();
  }, asio::detached);
  io.run();
  io.restart();
}

TEST(OpenAiHttpBackend, ProbeStatusFromTheUpstreamsModelsEndpoint) {
  struct Case {
    unsigned status;
    const char* health;
  } cases[] = {{200, "ready"}, {404, "ready"}, {500, "degraded"}, {503, "degraded"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.status);
    asio::io_context io;
    const unsigned status = c.status;
    TestServer server(io, [status](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
      co_await write_raw(s, http_response(status, "application/json", R"({"object":"list","data":[]})"));
    });
    auto backend = make_backend(server.base_url());
    run_probe(io, &server, *backend);
    EXPECT_EQ(backend->health().status, c.health);
    ASSERT_EQ(server.requests.size(), 1u);
    EXPECT_EQ(server.requests[0].target(), "/v1/models");
  }
}

TEST(OpenAiHttpBackend, ProbeOfARefusedPortIsUnavailableUntilItAnswers) {
  asio::io_context io;
  unsigned short port = 0;
  {
    tcp::acceptor closed(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = closed.local_endpoint().port();
  }
  auto down = make_backend("http://127.0.0.1:" + std::to_string(port) + "/v1");
  EXPECT_EQ(down->health().status, "ready");  // nothing known before the first probe
  run_probe(io, nullptr, *down);
  EXPECT_EQ(down->health().status, "unavailable");
  EXPECT_NE(down->health().last_error.find("health probe"), std::string::npos);
  EXPECT_EQ(down->probe_interval_ms(), 10000);
}

TEST(OpenAiHttpBackend, ARequestFailureOfUnreachabilityClearsOnASuccessfulProbe) {
  asio::io_context io;
  int served = 0;
  TestServer server(io, [&served](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    // The first connection is dropped (a request failure that reads unavailable), the probe's
    // is answered.
    if (served++ == 0) {
      s.close();
      co_return;
    }
    co_await write_raw(s, http_response(200, "application/json", R"({"data":[]})"));
  });
  auto backend = make_backend(server.base_url());
  std::optional<Result<json::object>> result;
  std::optional<BackendHealth> after_failure;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    result = co_await backend->complete(make_call());
    after_failure = backend->health();
    co_await backend->probe();
    server.stop();
  }, asio::detached);
  io.run();
  ASSERT_TRUE(result && !result->ok());
  ASSERT_EQ(after_failure->status, "unavailable") << result->error().message;
  EXPECT_EQ(backend->health().status, "ready");
}

TEST(OpenAiHttpBackend, InFlightAtCapacityReadsSaturated) {
  asio::io_context io;
  std::shared_ptr<OpenAiHttpBackend> backend;
  std::optional<BackendHealth> during;
  TestServer server(io, [&](tcp::socket& s, const ServerRequest&) -> asio::awaitable<void> {
    during = backend->health();  // the request is in flight while the upstream handles it
    co_await write_raw(s, http_response(200, "application/json", kCompletion));
  });
  backend = make_backend(server.base_url(), [](HttpBackendConfig& c) { c.max_concurrent = 1; });
  EXPECT_EQ(backend->health().status, "ready");
  auto result = run_complete(io, &server, *backend);
  ASSERT_TRUE(result && result->ok());
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(during->in_flight, 1);
  EXPECT_EQ(during->status, "saturated");
  EXPECT_EQ(backend->health().status, "ready");
}

}  // namespace
}  // namespace sl
