// One stream: its source, its store, its lease and its end. Internal to the streams module
// (StreamManager is the public face). The source thread writes into the store; everything else
// reads the store or this object's small mutable state under its mutex.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "ingest/source.hpp"
#include "store/frame_store.hpp"
#include "streams/second_keeper.hpp"
#include "streams/stream_events.hpp"
#include "streams/stream_manager.hpp"

namespace sl {

class Stream {
 public:
  Stream(std::string id, std::string owner, StreamOptions options, const StreamsConfig& config,
         const Clock& clock);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Builds the source through the factory, writing into this stream's sink. Errors: the
  // factory's (unsupported kind).
  Status open(const SourceFactory& factory);
  void start();
  // SDP offer -> answer through the source (negotiating kinds). Blocks for the negotiation: call
  // it off network threads. Errors: the source's; stream_not_found once the stream ended.
  Result<SdpAnswer> answer(const std::string& offer_sdp);
  Status end_session(const std::string& session_id);
  // Records why the stream ends, publishes the final event (unless the source's came first) and
  // hands back its still running source for the caller to stop (off a network thread: see
  // SourceReaper); nullptr when it had ended already. With an `error` the stream reads `failed`
  // with it as last_error (e.g. a budget spent). First reason wins.
  [[nodiscard]] std::shared_ptr<Source> finish(const std::string& reason,
                                               const std::string& error = {});
  // finish() and stop the source here (joins its thread): for shutdown and the destructor.
  void end(const std::string& reason);

  // Decoded pixels per second: declared for a test pattern, measured for everything else
  // (0 until the first frames arrive).
  double pixel_rate() const;
  // Bytes this stream may retain (its store's cap), and retains now.
  size_t byte_cap() const { return byte_cap_; }
  size_t retained_bytes() const { return store_->stats().bytes; }
  int64_t created_at_ms() const { return created_at_ms_; }

  const std::string& id() const { return id_; }
  // The WHIP publish secret of a `whip` stream ("" for other kinds).
  const std::string& publish_token() const { return publish_token_; }
  const std::string& owner() const { return owner_; }
  bool visible_to(const std::string& owner) const {
    return owner_ == owner || owner_ == kOwnerEveryone;
  }
  std::shared_ptr<const FrameStore> store() const { return store_; }
  Subscription subscribe_events(StreamEventListener listener) {
    return events_.subscribe(std::move(listener));
  }
  Subscription subscribe_frames(std::shared_ptr<FrameConsumer> consumer) {
    return frames_.subscribe(std::move(consumer));
  }

  StreamStatus status() const;
  bool is_finished() const;   // ended or failed, by us or by the source
  // Wall time at which the stream was seen finished (0 while live).
  int64_t finished_at_ms() const;
  void mark_finished_seen();

  // Lease handling; returns false if the stream has no lease.
  bool lease_expired() const;
  std::optional<KeepaliveResult> keepalive();
  int64_t stream_time_ms() const;

 private:
  // The source while the stream lives (nullptr once finish() took it), copied under the lock so
  // a caller can use it without holding the lock across a negotiation.
  std::shared_ptr<Source> live_source() const;

  const std::string id_;
  const std::string owner_;
  const StreamOptions options_;
  const Clock& clock_;
  const int64_t created_at_ms_;
  const std::string publish_token_;
  const size_t byte_cap_;
  std::shared_ptr<FrameStore> store_;
  SecondKeeper keeper_;  // in front of the store
  EventHub events_;
  FrameHub frames_;
  StreamSink sink_;      // the source's sink: keeper, then the hubs
  // Shared so that a negotiation in progress (answer()) keeps it alive past finish(); the
  // source itself copes with stop() during answer().
  std::shared_ptr<Source> source_;

  mutable std::mutex mu_;
  std::string end_reason_;        // set by end(): "deleted", "expired", "shutdown"
  std::string end_error_;         // set by fail()
  int64_t expires_at_ms_ = 0;
  int64_t finished_at_ms_ = 0;
};

}  // namespace sl
