// Which GOP a decoded frame came from. Decoders reorder (B-frames) and delay output, so a frame
// may leave the decoder after the next GOP's keyframe went in; the frame is matched to its
// packet by pts instead. Only the most recent packets are kept.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

namespace sl {

class GopMap {
 public:
  explicit GopMap(size_t capacity = 512) : capacity_(capacity) {}

  void add(int64_t pts, uint64_t gop_id) {
    last_gop_ = gop_id;
    entries_.emplace_back(pts, gop_id);
    if (entries_.size() > capacity_) entries_.pop_front();
  }

  // The GOP of the packet with this pts; the newest GOP when it is unknown.
  uint64_t find(int64_t pts) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (it->first == pts) return it->second;
    }
    return last_gop_;
  }

  void clear() {
    entries_.clear();
    last_gop_ = 0;
  }

 private:
  size_t capacity_;
  std::deque<std::pair<int64_t, uint64_t>> entries_;
  uint64_t last_gop_ = 0;
};

}  // namespace sl
