// StreamManager: the one place that knows what a stream is. It owns every stream's source and
// store, its lifecycle (connecting → active ⇄ reconnecting → ended/failed), its lease, and its
// owner (an API key id). Lookups take the caller's key id; a stream of another key is reported
// as stream_not_found, indistinguishable from one that does not exist.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/status.hpp"
#include "core/subscription.hpp"
#include "ingest/source.hpp"
#include "store/frame_store.hpp"
#include "store/stream_lookup.hpp"
#include "streams/source_reaper.hpp"

namespace sl {

// Owner id that every key may see (the --demo stream).
inline constexpr const char* kOwnerEveryone = "*";

struct StreamOptions {
  SourceSpec source;
  std::string name;
  int64_t retention_seconds = 600;
  bool lease = true;
  int64_t ttl_seconds = 300;
  std::string processing_json;   // kept verbatim for continuous inference (jobs/)
  std::string inference_json;
};

// Decoded pixels per second a source declares up front (a test pattern); 0 when only
// measuring can tell (cameras).
double declared_pixel_rate(const SourceSpec& source);

struct StreamsConfig {
  int max_streams_per_key = 16;
  // Per-key budgets that mean something for video (docs/configuration.md). Pixel rate: decoded
  // pixels per second over a key's live streams (declared for a test pattern, measured for
  // cameras; a key over it loses its newest streams). Retained bytes: what a key's live streams
  // hold now (each is also capped by store.max_bytes). Both refuse a new stream with 429
  // quota_exceeded. 0 = no limit.
  int64_t max_pixel_rate_per_key = 500'000'000;   // ~16 streams of 720p30, 2 of 4K30
  int64_t max_retained_bytes_per_key = 4ll << 30;
  int64_t default_ttl_seconds = 300;
  int64_t max_ttl_seconds = 86'400;
  int64_t max_retention_seconds = 3'600;
  int64_t ended_linger_seconds = 300;   // ended streams stay visible (and their frames) this long
  StoreLimits store;                    // per stream; retention_ms overridden per stream
  // SPEC section 2: keep the frame nearest each whole second as a JPEG (streams/second_keeper),
  // at the quality the frame renderer uses, so 1 fps segments need no re-decoding.
  bool keep_second_jpegs = true;
  int jpeg_quality = 85;
  IngestOptions ingest;
};

struct StreamStatus {
  std::string id;
  std::string name;
  std::string state;          // connecting | active | reconnecting | ended | failed
  std::string end_reason;     // "" while live
  std::string last_error;
  SourceSpec source;
  int64_t created_at_ms = 0;
  std::optional<int64_t> first_frame_at_ms;
  std::optional<int64_t> last_frame_at_ms;
  int64_t stream_time_ms = 0;
  std::optional<int64_t> last_frame_index;
  std::optional<int64_t> first_available_frame_index;
  double recent_fps = 0;
  int width = 0;
  int height = 0;
  int64_t retained_frame_count = 0;
  int64_t evicted_frame_count = 0;
  int64_t retention_seconds = 0;
  bool lease = false;
  std::optional<int64_t> ttl_seconds;
  std::optional<int64_t> expires_at_ms;
  // Only in create()'s result, for a source that negotiated with the request's offer (webrtc).
  std::optional<SdpAnswer> answer;
  // A `whip` stream's publish secret (the WHIP bearer token); "" for other kinds.
  std::string publish_token;
};

struct KeepaliveResult {
  std::string id;
  int64_t expires_at_ms = 0;
  int64_t ttl_seconds = 0;
  int64_t stream_time_ms = 0;
};

class Stream;

// Told about every stream create() made (any API surface, the demo stream), after it started,
// on the creating thread, outside the manager's lock. The job runner starts continuous
// inference from it (jobs/stream_jobs.hpp), so no create path can forget to.
using StreamCreatedListener = std::function<void(const std::string& owner,
                                                 const StreamStatus& status,
                                                 const StreamOptions& options)>;

class StreamManager final : public StreamLookup {
 public:
  // `sources` builds each stream's source (app/ wires ingest's default_source_factory; tests
  // inject fakes).
  StreamManager(StreamsConfig config, SourceFactory sources, const Clock& clock, Metrics& metrics);
  ~StreamManager();
  StreamManager(const StreamManager&) = delete;
  StreamManager& operator=(const StreamManager&) = delete;

  // Creates and starts a stream. `id` empty: a random id. Errors: invalid_request (bad options),
  // too_many_streams (per-key limit), quota_exceeded (per-key pixel-rate or byte budget),
  // invalid_request if the id is taken, unsupported (no source for the kind), and for a webrtc
  // source whatever its answer to the offer was (the stream is then not created). Blocks for
  // that negotiation: call it off network threads.
  Result<StreamStatus> create(const std::string& owner, const StreamOptions& options,
                              const std::string& id = {});
  Result<StreamStatus> status(const std::string& owner, const std::string& id) const;
  std::vector<StreamStatus> list(const std::string& owner) const;
  // Ends the stream (end_reason "deleted") and forgets it.
  Result<StreamStatus> remove(const std::string& owner, const std::string& id);
  Result<KeepaliveResult> keepalive(const std::string& owner, const std::string& id);
  // A publisher's SDP offer for a stream whose source negotiates (WHIP). Blocks for the
  // negotiation. Errors: stream_not_found, the source's (unsupported for other kinds).
  Result<SdpAnswer> answer(const std::string& owner, const std::string& id,
                           const std::string& offer_sdp);
  Status end_session(const std::string& owner, const std::string& id,
                     const std::string& session_id);
  // WHIP requests carry the stream's publish token instead of an API key: the owner of stream
  // `id` when `token` is its publish token. Errors: stream_not_found (no such stream, or not a
  // whip stream), unauthorized (missing or wrong token; compared in constant time).
  Result<std::string> authorize_publisher(const std::string& id, const std::string& token) const;
  // Lifecycle events and frames of a visible stream (contracts: streams/stream_events.hpp).
  // Errors: stream_not_found.
  Result<Subscription> subscribe_events(const std::string& owner, const std::string& id,
                                        std::function<void(const SourceEvent&)> listener);
  Result<Subscription> subscribe_frames(const std::string& owner, const std::string& id,
                                        std::shared_ptr<FrameConsumer> consumer);
  // The store of a visible stream, for reference resolution.
  Result<std::shared_ptr<const FrameStore>> store(const std::string& owner,
                                                   const std::string& id) const override;

  // Set once at start-up, before any create() (not synchronised with it).
  void set_created_listener(StreamCreatedListener listener) { on_created_ = std::move(listener); }

  // Expires leases, enforces the per-key pixel-rate budget on measured rates (a key over it
  // loses its newest streams, failed with end_reason quota_exceeded) and forgets long-ended
  // streams; the app calls it about once a second.
  void tick();
  // Stops every source (shutdown).
  void stop_all();

 private:
  // Shared with the metrics collector, which may outlive the manager.
  struct Registry {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<Stream>> streams;
  };
  std::shared_ptr<Stream> find(const std::string& owner, const std::string& id) const;
  void enforce_pixel_budget(const std::vector<std::shared_ptr<Stream>>& all);
  Status validate(const StreamOptions& options) const;

  // Ends `s` now; its source stops on the reaper's thread.
  void retire(const std::shared_ptr<Stream>& s, const std::string& reason,
              const std::string& error = {});

  const StreamsConfig config_;
  const SourceFactory sources_;
  const Clock& clock_;
  std::shared_ptr<Registry> registry_;
  SourceReaper reaper_;
  StreamCreatedListener on_created_;
};

}  // namespace sl
