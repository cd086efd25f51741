// StreamLookup: the one question media resolution asks of the stream registry: "the store of
// stream `id`, as API key `owner` may see it". The stream manager implements it; refs' media
// resolver uses it; tests implement it over a hand-filled FrameStore. It lives in store (left of
// both) so neither module has to know the other.
// Errors: stream_not_found for an unknown stream and for another key's (indistinguishable).
// Implementations must be thread-safe (resolution runs on the media pool).
#pragma once

#include <memory>
#include <string>

#include "core/status.hpp"
#include "store/frame_store.hpp"

namespace sl {

class StreamLookup {
 public:
  virtual ~StreamLookup() = default;
  virtual Result<std::shared_ptr<const FrameStore>> store(const std::string& owner,
                                                          const std::string& id) const = 0;
};

}  // namespace sl
