// A Source pulls or generates video and pushes packets, decoded frames and state changes into a
// MediaSink (the stream's store). Each source runs on its own thread, started by start() and
// joined by stop(); stop() is prompt (it interrupts blocking network reads). A source owns its
// reconnect policy: a pull source that loses its peer reconnects with capped exponential backoff,
// and the stream clock and frame index keep counting across reconnects.
#pragma once

#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/media_sink.hpp"
#include "core/status.hpp"

namespace sl {

struct SourceSpec {
  std::string type;   // "url" | "test_pattern" (anchor names "rtsp"/"hls" normalise to "url")
  std::string url;    // for url sources
  int width = 640;    // for test_pattern
  int height = 360;
  double fps = 30.0;
};

struct IngestOptions {
  int64_t connect_timeout_ms = 5000;    // open + first packet
  int64_t read_timeout_ms = 5000;       // no data for this long -> reconnect
  int64_t backoff_initial_ms = 250;
  int64_t backoff_max_ms = 10'000;
  int max_reconnects = -1;              // -1: forever (live cameras come back)
  int max_width = 7680;                 // larger frames are refused (absurd resolutions)
  int max_height = 4320;
  std::string file_root;                // file:// sources must lie under this dir; empty: refused
};

class Source {
 public:
  virtual ~Source() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
};

// Checks a spec without starting anything (scheme, URL shape, sizes, file root).
// Errors are invalid_request with `param` naming the field ("source.url", ...).
Status validate_source(const SourceSpec& spec, const IngestOptions& options);

// Builds the source for a validated spec. The sink must outlive the source.
std::unique_ptr<Source> make_source(const SourceSpec& spec, const IngestOptions& options,
                                    MediaSink& sink, const Clock& clock);

}  // namespace sl
