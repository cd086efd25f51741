// Vision encodings kept across requests, keyed by (stream id, frame index, preprocessing hash),
// least recently used first out once the bytes held pass the bound (engine.vision_cache_bytes).
// So a question about the last 5 s asked every 0.5 s encodes each frame once, and a continuous
// job re-uses what queries already encoded. get_or_encode() runs the encoder outside the lock;
// when two requests miss the same key at once, the second waits for the first's result instead
// of encoding again. Thread-safe. An encoding larger than the bound is returned but not kept.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "core/status.hpp"
#include "engine/vlm_model.hpp"

namespace sl::engine {

struct VisionCacheKey {
  std::string stream;
  std::int64_t frame = 0;
  std::uint64_t preprocessing = 0;
  auto operator<=>(const VisionCacheKey&) const = default;
};

class VisionCache {
 public:
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;  // encodes run
    std::uint64_t evictions = 0;
    std::size_t bytes = 0;
    std::size_t entries = 0;
  };

  explicit VisionCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  VisionCache(const VisionCache&) = delete;
  VisionCache& operator=(const VisionCache&) = delete;

  Result<VisionEncodingPtr> get_or_encode(const VisionCacheKey& key,
                                          const std::function<Result<VisionEncodingPtr>()>& encode);
  Stats stats() const;

 private:
  struct Entry {
    VisionEncodingPtr value;  // null while being encoded
    std::list<VisionCacheKey>::iterator lru;
  };
  void evict_locked();

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable encoded_;
  std::map<VisionCacheKey, Entry> entries_;
  std::list<VisionCacheKey> lru_;  // most recent at the front; only finished entries
  Stats stats_;
};

}  // namespace sl::engine
