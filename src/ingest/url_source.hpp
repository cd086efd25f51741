// A pull source over FFmpeg (RTSP, RTMP, SRT, HLS, MPEG-TS or MJPEG over HTTP, files). One
// thread per source: connect, demux the best video stream, decode every frame, push packets and
// frames into the sink; on EOF or error reconnect with capped exponential backoff. Every
// blocking FFmpeg call is bounded by an interrupt callback (stop flag + deadline), so stop() is
// prompt and a silent peer is detected. file:// sources are read in real time and end at EOF.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "ingest/source.hpp"
#include "ingest/stream_clock.hpp"

namespace sl {

class UrlSource final : public Source {
 public:
  UrlSource(SourceSpec spec, IngestOptions options, MediaSink& sink, const Clock& clock);
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
  // Sleeps up to `ms`; false when stop() was called meanwhile.
  bool wait_for_ms(int64_t ms);
  void set_deadline_ms(int64_t ms_from_now);
  static int interrupt(void* self);

  const SourceSpec spec_;
  const IngestOptions options_;
  MediaSink& sink_;
  const Clock& clock_;
  const bool is_file_;

  std::atomic<bool> stop_{false};
  std::atomic<int64_t> deadline_ns_{0};   // steady_clock; 0 = none
  std::atomic<bool> timed_out_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;

  StreamClock stream_clock_;
  bool active_ = false;
};

}  // namespace sl
