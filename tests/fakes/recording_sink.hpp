// A MediaSink that records everything a source pushes, for tests of sources (and of anything
// that wants to see what a source produced). Thread-safe: the source thread writes, the test
// thread waits on conditions with wait_until() instead of sleeping. Each frame's barcode
// (SPEC §7) is read at arrival, so the pictures themselves need not be kept.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "core/media_sink.hpp"
#include "media/barcode.hpp"

namespace sl::testing {

struct RecordedFrame {
  uint64_t gop_id = 0;
  int64_t pts = kNoPts;
  int64_t timestamp_ms = 0;
  int64_t wall_ms = 0;
  int width = 0;
  int height = 0;
  int64_t barcode = -1;
  int64_t index = 0;
};

class RecordingSink final : public MediaSink {
 public:
  // Set keep_images to keep each frame's picture (costs memory; off by default).
  explicit RecordingSink(bool keep_images = false) : keep_images_(keep_images) {}

  uint64_t on_packet(const Packet& packet) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (packet.keyframe || gop_id_ == 0) ++gop_id_;
    packets_.push_back(packet);
    packet_gops_.push_back(gop_id_);
    cv_.notify_all();
    return gop_id_;
  }

  int64_t on_frame(const FrameArrival& frame) override {
    RecordedFrame r;
    r.gop_id = frame.gop_id;
    r.pts = frame.pts;
    r.timestamp_ms = frame.timestamp_ms;
    r.wall_ms = frame.wall_ms;
    r.width = frame.image.width;
    r.height = frame.image.height;
    r.barcode = read_barcode(frame.image);
    std::lock_guard<std::mutex> lock(mu_);
    r.index = static_cast<int64_t>(frames_.size());
    frames_.push_back(r);
    if (keep_images_) images_.push_back(frame.image);
    cv_.notify_all();
    return r.index;
  }

  void on_source_event(const SourceEvent& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(event);
    cv_.notify_all();
  }

  void on_decode_error() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++decode_errors_;
    cv_.notify_all();
  }

  void on_reconnect() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++reconnects_;
    cv_.notify_all();
  }

  // Waits until `done(*this)` holds (checked under the lock) or the timeout passes.
  bool wait_until(const std::function<bool(const RecordingSink&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done(*this); });
  }

  // Accessors; safe inside wait_until predicates (the lock is held there) and, via the
  // snapshot_* forms, from anywhere else.
  const std::vector<RecordedFrame>& frames() const { return frames_; }
  const std::vector<Packet>& packets() const { return packets_; }
  const std::vector<uint64_t>& packet_gops() const { return packet_gops_; }
  const std::vector<SourceEvent>& events() const { return events_; }
  int decode_errors() const { return decode_errors_; }
  int reconnects() const { return reconnects_; }
  bool saw_state(SourceState s) const {
    for (const auto& e : events_) {
      if (e.state == s) return true;
    }
    return false;
  }

  std::vector<RecordedFrame> snapshot_frames() const {
    std::lock_guard<std::mutex> lock(mu_);
    return frames_;
  }
  std::vector<Packet> snapshot_packets() const {
    std::lock_guard<std::mutex> lock(mu_);
    return packets_;
  }
  std::vector<uint64_t> snapshot_packet_gops() const {
    std::lock_guard<std::mutex> lock(mu_);
    return packet_gops_;
  }
  std::vector<SourceEvent> snapshot_events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<VideoImage> snapshot_images() const {
    std::lock_guard<std::mutex> lock(mu_);
    return images_;
  }
  int snapshot_reconnects() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reconnects_;
  }
  int snapshot_decode_errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return decode_errors_;
  }

 private:
  const bool keep_images_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t gop_id_ = 0;
  std::vector<Packet> packets_;
  std::vector<uint64_t> packet_gops_;
  std::vector<RecordedFrame> frames_;
  std::vector<VideoImage> images_;
  std::vector<SourceEvent> events_;
  int decode_errors_ = 0;
  int reconnects_ = 0;
};

}  // namespace sl::testing
