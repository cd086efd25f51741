#include "store/frame_store.hpp"

#include <algorithm>
#include <limits>

namespace sl {

namespace {

constexpr int64_t kRecentFpsWindowMs = 2000;

size_t image_bytes(const std::optional<VideoImage>& image) {
  return image ? image->byte_size() : 0;
}

}  // namespace

FrameStore::FrameStore(StoreLimits limits) : limits_(limits) {}

// ---- ingest side -------------------------------------------------------------------------

uint64_t FrameStore::on_packet(const Packet& packet) {
  std::lock_guard lock(mu_);
  if (packet.keyframe) {
    Gop gop;
    gop.id = next_gop_id_++;
    gop.config = packet.config;
    gops_.push_back(std::move(gop));
  } else if (gops_.empty()) {
    return 0;  // nothing to decode it against
  }
  Gop& gop = gops_.back();
  const size_t size = packet.data ? packet.data->size() : 0;
  gop.packets.push_back(packet);
  gop.bytes += size;
  bytes_ += size;
  // A source whose frames never decode still must not grow without bound.
  evict_locked();
  return gop.id;
}

int64_t FrameStore::on_frame(const FrameArrival& frame) {
  std::lock_guard lock(mu_);
  Entry entry;
  entry.rec.index = next_index_++;
  entry.rec.timestamp_ms = frame.timestamp_ms;
  // Lookups binary-search timestamps, so a source that steps back must not break the order.
  if (!frames_.empty()) {
    entry.rec.timestamp_ms = std::max(entry.rec.timestamp_ms, frames_.back().rec.timestamp_ms);
  }
  entry.rec.wall_ms = frame.wall_ms;
  entry.gop_id = frame.gop_id;
  entry.pts = frame.pts;
  if (frame.image.valid()) {
    width_ = frame.image.width;
    height_ = frame.image.height;
    if (limits_.decoded_keep > 0) {
      entry.image = frame.image;
      bytes_ += entry.image->byte_size();
    }
  }
  if (entry.rec.index == 0) first_frame_wall_ms_ = frame.wall_ms;
  frames_.push_back(std::move(entry));

  // Only the newest decoded_keep frames keep their picture.
  const int64_t keep = std::max(limits_.decoded_keep, 0);
  for (int64_t i = static_cast<int64_t>(frames_.size()) - 1 - keep; i >= 0; --i) {
    Entry& old = frames_[static_cast<size_t>(i)];
    if (!old.image) break;
    bytes_ -= old.image->byte_size();
    old.image.reset();
  }

  const int64_t index = frames_.back().rec.index;
  evict_locked();
  return index;
}

void FrameStore::on_source_event(const SourceEvent& event) {
  std::lock_guard lock(mu_);
  last_event_ = event;
}

void FrameStore::on_decode_error() {
  std::lock_guard lock(mu_);
  ++decode_errors_;
}

void FrameStore::on_reconnect() {
  std::lock_guard lock(mu_);
  ++reconnects_;
}

// ---- eviction ------------------------------------------------------------------------------

const FrameStore::Gop* FrameStore::find_gop_locked(uint64_t id) const {
  auto it = std::lower_bound(gops_.begin(), gops_.end(), id,
                             [](const Gop& g, uint64_t v) { return g.id < v; });
  return it != gops_.end() && it->id == id ? &*it : nullptr;
}

size_t FrameStore::oldest_unit_frames_locked() const {
  if (gops_.empty()) return frames_.empty() ? 0 : 1;
  const uint64_t id = gops_.front().id;
  size_t n = 0;
  while (n < frames_.size() &&
         (frames_[n].gop_id <= id || find_gop_locked(frames_[n].gop_id) == nullptr)) {
    ++n;
  }
  return n;
}

void FrameStore::evict_locked() {
  for (;;) {
    if (gops_.empty() && frames_.size() <= 1) return;
    // Never drop the only GOP (the one being received) nor the frame at the live edge. Before
    // the first frame, the GOP before the newest may still be inside the decoder: keep it too.
    if (gops_.size() <= (frames_.empty() ? 2u : 1u) && !gops_.empty()) return;
    const size_t unit = oldest_unit_frames_locked();
    if (!frames_.empty() && unit >= frames_.size()) return;

    bool too_old = false;
    if (!frames_.empty()) {
      const int64_t newest_ts = frames_.back().rec.timestamp_ms;
      const int64_t cutoff = newest_ts < std::numeric_limits<int64_t>::min() + limits_.retention_ms
                                 ? std::numeric_limits<int64_t>::min()
                                 : newest_ts - limits_.retention_ms;
      // Frames are in timestamp order, so the unit's last frame decides; a GOP that produced
      // no frame at all is useless and goes as soon as it is the oldest.
      too_old = unit == 0 || frames_[unit - 1].rec.timestamp_ms < cutoff;
    }
    const bool too_big = total_bytes_locked() > limits_.max_bytes;
    if (!too_old && !too_big) return;
    drop_oldest_unit_locked(unit);
  }
}

void FrameStore::drop_oldest_unit_locked(size_t frames) {
  if (frames > 0) {
    const int64_t first = frames_.front().rec.index;
    const int64_t last = frames_[frames - 1].rec.index;
    for (size_t i = 0; i < frames; ++i) {
      bytes_ -= image_bytes(frames_.front().image);
      frames_.pop_front();
    }
    evicted_ += static_cast<int64_t>(frames);
    erase_renditions_locked(first, last);
  }
  if (!gops_.empty()) {
    bytes_ -= gops_.front().bytes;
    gops_.pop_front();
  }
}

void FrameStore::erase_renditions_locked(int64_t first, int64_t last) const {
  auto lo = renditions_.lower_bound({first, 0});
  auto hi = renditions_.lower_bound({last + 1, 0});
  if (lo == hi) return;
  for (auto it = lo; it != hi; ++it) {
    if (pinned_.erase(it->first) > 0) {
      pinned_bytes_ -= it->second->size();
    } else {
      rendition_bytes_ -= it->second->size();
    }
  }
  renditions_.erase(lo, hi);
  std::erase_if(rendition_order_,
                [&](const auto& k) { return k.first >= first && k.first <= last; });
}

// ---- queries -------------------------------------------------------------------------------

const FrameStore::Entry* FrameStore::entry_locked(int64_t index) const {
  if (frames_.empty()) return nullptr;
  const int64_t first = frames_.front().rec.index;
  if (index < first || index - first >= static_cast<int64_t>(frames_.size())) return nullptr;
  return &frames_[static_cast<size_t>(index - first)];
}

StoreStats FrameStore::stats() const {
  std::lock_guard lock(mu_);
  StoreStats s;
  if (!frames_.empty()) {
    const FrameRecord& first = frames_.front().rec;
    const FrameRecord& last = frames_.back().rec;
    s.first_index = first.index;
    s.last_index = last.index;
    s.first_timestamp_ms = first.timestamp_ms;
    s.last_timestamp_ms = last.timestamp_ms;
    s.last_frame_wall_ms = last.wall_ms;

    // Rate over the last couple of seconds of arrivals: n frames span n-1 intervals.
    size_t n = 0;
    int64_t earliest = last.wall_ms;
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
      if (it->rec.wall_ms < last.wall_ms - kRecentFpsWindowMs) break;
      earliest = std::min(earliest, it->rec.wall_ms);
      ++n;
    }
    const int64_t span = last.wall_ms - earliest;
    if (n > 1 && span > 0) s.recent_fps = static_cast<double>(n - 1) * 1000.0 / span;
  } else if (next_index_ > 0) {
    s.last_index = next_index_ - 1;
  }
  s.first_frame_wall_ms = first_frame_wall_ms_;
  s.retained_frames = static_cast<int64_t>(frames_.size());
  s.evicted_frames = evicted_;
  s.frames_received = next_index_;
  s.bytes = total_bytes_locked();
  s.width = width_;
  s.height = height_;
  return s;
}

std::optional<FrameRecord> FrameStore::newest() const {
  std::lock_guard lock(mu_);
  if (frames_.empty()) return std::nullopt;
  return frames_.back().rec;
}

std::optional<FrameRecord> FrameStore::oldest() const {
  std::lock_guard lock(mu_);
  if (frames_.empty()) return std::nullopt;
  return frames_.front().rec;
}

std::optional<FrameRecord> FrameStore::record(int64_t index) const {
  std::lock_guard lock(mu_);
  const Entry* e = entry_locked(index);
  if (e == nullptr) return std::nullopt;
  return e->rec;
}

std::optional<int64_t> FrameStore::first_at_or_after(int64_t t_ms) const {
  std::lock_guard lock(mu_);
  auto it = std::partition_point(frames_.begin(), frames_.end(),
                                 [&](const Entry& e) { return e.rec.timestamp_ms < t_ms; });
  if (it == frames_.end()) return std::nullopt;
  return it->rec.index;
}

std::optional<int64_t> FrameStore::last_at_or_before(int64_t t_ms) const {
  std::lock_guard lock(mu_);
  auto it = std::partition_point(frames_.begin(), frames_.end(),
                                 [&](const Entry& e) { return e.rec.timestamp_ms <= t_ms; });
  if (it == frames_.begin()) return std::nullopt;
  return std::prev(it)->rec.index;
}

std::vector<FrameRecord> FrameStore::records(int64_t first, int64_t last) const {
  std::lock_guard lock(mu_);
  std::vector<FrameRecord> out;
  if (frames_.empty() || first > last) return out;
  const int64_t lo = std::max(first, frames_.front().rec.index);
  const int64_t hi = std::min(last, frames_.back().rec.index);
  if (lo > hi) return out;
  out.reserve(static_cast<size_t>(hi - lo + 1));
  for (int64_t i = lo; i <= hi; ++i) out.push_back(entry_locked(i)->rec);
  return out;
}

std::optional<VideoImage> FrameStore::decoded(int64_t index) const {
  std::lock_guard lock(mu_);
  const Entry* e = entry_locked(index);
  if (e == nullptr) return std::nullopt;
  return e->image;
}

Result<GopSnapshot> FrameStore::gop_for(int64_t index) const {
  std::lock_guard lock(mu_);
  const Entry* e = entry_locked(index);
  const Gop* gop = e != nullptr ? find_gop_locked(e->gop_id) : nullptr;
  if (gop == nullptr) {
    return make_error(ErrorCode::frame_not_found,
                      "frame " + std::to_string(index) + " is no longer retained");
  }
  GopSnapshot snap;
  snap.config = gop->config;
  snap.packets = gop->packets;
  // The GOP's frames are contiguous around `e`.
  const size_t pos = static_cast<size_t>(index - frames_.front().rec.index);
  size_t lo = pos;
  while (lo > 0 && frames_[lo - 1].gop_id == gop->id) --lo;
  size_t hi = pos + 1;
  while (hi < frames_.size() && frames_[hi].gop_id == gop->id) ++hi;
  snap.frames.reserve(hi - lo);
  for (size_t i = lo; i < hi; ++i) snap.frames.emplace_back(frames_[i].rec.index, frames_[i].pts);
  return snap;
}

// ---- renditions ----------------------------------------------------------------------------

SharedBytes FrameStore::rendition(int64_t index, uint64_t key) const {
  std::lock_guard lock(mu_);
  auto it = renditions_.find({index, key});
  return it == renditions_.end() ? nullptr : it->second;
}

void FrameStore::put_rendition(int64_t index, uint64_t key, SharedBytes bytes) const {
  if (!bytes) return;
  std::lock_guard lock(mu_);
  if (entry_locked(index) == nullptr) return;  // evicted meanwhile: nothing to attach it to
  auto [it, inserted] = renditions_.try_emplace({index, key}, std::move(bytes));
  if (!inserted) return;
  rendition_order_.emplace_back(index, key);
  rendition_bytes_ += it->second->size();
  while (rendition_bytes_ > limits_.rendition_bytes && !rendition_order_.empty()) {
    auto old = renditions_.find(rendition_order_.front());
    rendition_order_.pop_front();
    if (old == renditions_.end() || pinned_.count(old->first)) continue;
    rendition_bytes_ -= old->second->size();
    renditions_.erase(old);
  }
}

void FrameStore::put_pinned_rendition(int64_t index, uint64_t key, SharedBytes bytes) {
  if (!bytes) return;
  std::lock_guard lock(mu_);
  if (entry_locked(index) == nullptr) return;
  const std::pair<int64_t, uint64_t> k{index, key};
  auto [it, inserted] = renditions_.try_emplace(k, std::move(bytes));
  if (pinned_.count(k)) return;
  // A cached rendition of the same frame and size is kept (same bytes) and moves to the pin.
  if (!inserted) rendition_bytes_ -= it->second->size();
  pinned_.insert(k);
  pinned_bytes_ += it->second->size();
  evict_locked();
}

// ---- source state --------------------------------------------------------------------------

SourceEvent FrameStore::last_source_event() const {
  std::lock_guard lock(mu_);
  return last_event_;
}

int64_t FrameStore::decode_errors() const {
  std::lock_guard lock(mu_);
  return decode_errors_;
}

int64_t FrameStore::reconnects() const {
  std::lock_guard lock(mu_);
  return reconnects_;
}

}  // namespace sl
