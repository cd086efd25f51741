// Helpers for api tests: a ResponseWriter that records what a handler sent, and a way to run a
// coroutine to completion on a private io_context.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include "api/http_types.hpp"

namespace sl::api::testing {

class RecordingWriter final : public ResponseWriter {
 public:
  Response response;            // send(), or the header of a stream
  std::vector<std::string> chunks;
  bool ended = false;
  bool fail_writes = false;     // simulate a client that is gone

  boost::json::value json() const { return boost::json::parse(response.body()); }
  std::string header(const std::string& name) const {
    auto it = response.find(name);
    return it == response.end() ? std::string() : std::string(it->value());
  }

 protected:
  asio::awaitable<bool> transport_send(Response& r) override {
    response = r;
    co_return !fail_writes;
  }
  asio::awaitable<bool> transport_begin(http::response<http::empty_body>& h) override {
    response = Response{h.result(), h.version()};
    for (const auto& f : h) response.set(f.name_string(), f.value());
    co_return !fail_writes;
  }
  asio::awaitable<bool> transport_chunk(std::string_view c) override {
    chunks.emplace_back(c);
    co_return !fail_writes;
  }
  asio::awaitable<bool> transport_end() override {
    ended = true;
    co_return !fail_writes;
  }
  bool transport_gone() const override { return false; }
};

template <class T>
T run_coro(asio::awaitable<T> a) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, std::move(a), asio::use_future);
  ioc.run();
  return fut.get();
}

inline void run_coro(asio::awaitable<void> a) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, std::move(a), asio::use_future);
  ioc.run();
  fut.get();
}

inline Request make_request(http::verb method, const std::string& target,
                            const std::string& body = {}) {
  Request r;
  r.message = http::request<http::string_body>{method, target, 11};
  r.message.body() = body;
  r.message.prepare_payload();
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? std::string() : target.substr(q + 1);
  return r;
}

}  // namespace sl::api::testing
