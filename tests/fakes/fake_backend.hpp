// A Backend that records the calls it gets and answers from a script: a fixed completion, a
// list of stream chunks, or an error. For api tests that must not open sockets.
#pragma once

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "backends/backend.hpp"

namespace sl::testing {

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(std::string name, bool takes_video = false)
      : name_(std::move(name)), takes_video_(takes_video) {}

  std::vector<ChatCall> calls;                 // what the backend received
  std::vector<boost::json::object> chunks;     // streamed in order
  std::optional<Error> fail;                   // answer every call with this error
  bool sink_refused = false;                   // on_chunk returned false at some point
  bool pictures = false;                       // wants_pictures(): like the engine backend

  std::string model_name() const override { return name_; }
  BackendHealth health() const override { return {}; }
  bool accepts_video_urls() const override { return takes_video_; }
  bool wants_pictures() const override { return pictures; }

  boost::asio::awaitable<Result<boost::json::object>> complete(ChatCall call) override {
    calls.push_back(std::move(call));
    if (fail) co_return *fail;
    boost::json::object out;
    out["id"] = "chatcmpl-fake";
    out["object"] = "chat.completion";
    out["model"] = name_;
    co_return out;
  }

  boost::asio::awaitable<Status> stream(ChatCall call, ChunkSink on_chunk) override {
    calls.push_back(std::move(call));
    if (fail) co_return *fail;
    for (const auto& c : chunks) {
      if (!co_await on_chunk(c)) {
        sink_refused = true;
        co_return make_error(ErrorCode::cancelled, "client gone");
      }
    }
    co_return Status();
  }

 private:
  std::string name_;
  bool takes_video_;
};

}  // namespace sl::testing
