// A Source the test drives by hand, for the stream manager and everything above it: it pushes
// what the test tells it to into the sink it was built with (on the test's thread, standing in
// for the source thread), answers SDP offers with a canned answer or error, and records calls.
// FakeSourceFactory hands them out and keeps a handle on each so the test can reach them.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ingest/source.hpp"

namespace sl::testing {

class FakeSource final : public Source {
 public:
  struct Shared {
    std::mutex mu;
    MediaSink* sink = nullptr;
    bool started = false;
    bool stopped = false;
    std::vector<std::string> offers;
    std::vector<std::string> ended_sessions;
    std::optional<Error> answer_error;   // set before the offer arrives to refuse it
  };

  FakeSource(MediaSink& sink, std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {
    std::lock_guard lk(shared_->mu);
    shared_->sink = &sink;
  }
  ~FakeSource() override { stop(); }

  void start() override {
    std::lock_guard lk(shared_->mu);
    shared_->started = true;
  }
  void stop() override {
    std::lock_guard lk(shared_->mu);
    shared_->stopped = true;
    shared_->sink = nullptr;  // the contract: no sink calls after stop()
  }
  Result<SdpAnswer> answer(const std::string& offer) override {
    std::lock_guard lk(shared_->mu);
    shared_->offers.push_back(offer);
    if (shared_->answer_error) return *shared_->answer_error;
    return SdpAnswer{"answer-to:" + offer, "session-" + std::to_string(shared_->offers.size())};
  }
  Status end_session(const std::string& id) override {
    std::lock_guard lk(shared_->mu);
    shared_->ended_sessions.push_back(id);
    return Status();
  }

 private:
  std::shared_ptr<Shared> shared_;
};

// Pushes into the sink of a FakeSource, as its source thread would.
class FakeSourceHandle {
 public:
  explicit FakeSourceHandle(std::shared_ptr<FakeSource::Shared> s) : s_(std::move(s)) {}
  FakeSource::Shared& state() { return *s_; }
  // A keyframe packet and its decoded picture at stream time `ms`; returns the frame index, or
  // -1 once the source was stopped.
  int64_t frame(int64_t ms, const VideoImage& image = {}) {
    std::lock_guard lk(s_->mu);
    if (!s_->sink) return -1;
    Packet p;
    p.keyframe = true;
    p.pts = ms;
    p.data = std::make_shared<const Bytes>(Bytes{0, 0, 1});
    FrameArrival f;
    f.gop_id = s_->sink->on_packet(p);
    f.pts = ms;
    f.timestamp_ms = ms;
    f.wall_ms = ms;
    f.image = image;
    return s_->sink->on_frame(f);
  }
  void event(SourceState state, std::string error = {}, std::string reason = {}) {
    std::lock_guard lk(s_->mu);
    if (s_->sink) s_->sink->on_source_event({state, std::move(error), std::move(reason)});
  }

 private:
  std::shared_ptr<FakeSource::Shared> s_;
};

class FakeSourceFactory {
 public:
  SourceFactory factory() {
    return [this](const SourceSpec&, MediaSink& sink,
                  const Clock&) -> Result<std::unique_ptr<Source>> {
      auto shared = std::make_shared<FakeSource::Shared>();
      if (next_answer_error_) shared->answer_error = std::exchange(next_answer_error_, {});
      std::lock_guard lk(mu_);
      made_.push_back(shared);
      return std::unique_ptr<Source>(std::make_unique<FakeSource>(sink, shared));
    };
  }
  void refuse_next_offer(Error e) { next_answer_error_ = std::move(e); }
  FakeSourceHandle last() {
    std::lock_guard lk(mu_);
    return FakeSourceHandle(made_.back());
  }
  size_t made() {
    std::lock_guard lk(mu_);
    return made_.size();
  }

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<FakeSource::Shared>> made_;
  std::optional<Error> next_answer_error_;
};

}  // namespace sl::testing
