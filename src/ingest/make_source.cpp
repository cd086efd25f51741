#include "ingest/source.hpp"
#include "ingest/test_pattern_source.hpp"
#include "ingest/url_source.hpp"

namespace sl {

std::unique_ptr<Source> make_source(const SourceSpec& spec, const IngestOptions& options,
                                    MediaSink& sink, const Clock& clock) {
  if (spec.type == "url" || spec.type == "rtsp" || spec.type == "hls") {
    return std::make_unique<UrlSource>(spec, options, sink, clock);
  }
  if (spec.type == "test_pattern") return std::make_unique<TestPatternSource>(spec, sink, clock);
  return nullptr;
}

}  // namespace sl
