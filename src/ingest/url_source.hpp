// A pull source over FFmpeg (RTSP, RTMP, SRT, HLS, MPEG-TS or MJPEG over HTTP, files). One
// thread per source (SourceThread): connect, demux the best video stream and hand its packets to
// the shared DecodePipeline; on EOF or error reconnect with capped exponential backoff. Every
// blocking FFmpeg call is bounded by an interrupt callback (stop flag + deadline), so stop() is
// prompt and a silent peer is detected. file:// sources are read in real time and end at EOF.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "ingest/decode_pipeline.hpp"
#include "ingest/source.hpp"
#include "ingest/source_thread.hpp"

namespace sl {

class UrlSource final : public Source {
 public:
  UrlSource(UrlSourceSpec spec, IngestOptions options, MediaSink& sink, const Clock& clock);
  ~UrlSource() override;
  UrlSource(const UrlSource&) = delete;
  UrlSource& operator=(const UrlSource&) = delete;

  void start() override;
  void stop() override;

 private:
  struct Outcome {
    enum class Kind { eof, error, permanent, stopped };
    Kind kind = Kind::error;
    std::string error;
    int64_t frames = 0;
  };
  void run();
  Outcome run_connection();
  void set_deadline_ms(int64_t ms_from_now);
  static int interrupt(void* self);

  const UrlSourceSpec spec_;
  const IngestOptions options_;
  MediaSink& sink_;
  const bool is_file_;

  std::atomic<int64_t> deadline_ns_{0};   // steady_clock; 0 = none
  std::atomic<bool> timed_out_{false};
  DecodePipeline pipeline_;
  SourceThread thread_;   // last: joined first, while the members it uses still exist
};

}  // namespace sl
