#include "engine/vision_cache.hpp"

namespace sl::engine {

Result<VisionEncodingPtr> VisionCache::get_or_encode(const VisionCacheKey& key,
                                                     const std::function<Result<VisionEncodingPtr>()>& encode) {
  {
    std::unique_lock lock(mutex_);
    for (;;) {
      auto it = entries_.find(key);
      if (it == entries_.end()) break;
      if (it->second.value) {
        ++stats_.hits;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return it->second.value;
      }
      encoded_.wait(lock);  // another request is encoding this key
    }
    ++stats_.misses;
    entries_.emplace(key, Entry{nullptr, lru_.end()});
  }
  Result<VisionEncodingPtr> result = encode();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (!result.ok() || !*result || (*result)->byte_size() > max_bytes_) {
    entries_.erase(it);
  } else {
    it->second.value = *result;
    lru_.push_front(key);
    it->second.lru = lru_.begin();
    stats_.bytes += (*result)->byte_size();
    ++stats_.entries;
    evict_locked();
  }
  encoded_.notify_all();
  return result;
}

void VisionCache::evict_locked() {
  while (stats_.bytes > max_bytes_ && !lru_.empty()) {
    auto it = entries_.find(lru_.back());
    stats_.bytes -= it->second.value->byte_size();
    --stats_.entries;
    ++stats_.evictions;
    entries_.erase(it);
    lru_.pop_back();
  }
}

VisionCache::Stats VisionCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace sl::engine
