// A StreamLookup over hand-filled stores, for testing media resolution without a StreamManager,
// sources or threads. Same isolation rule as the real one: another key's stream is not found.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "store/stream_lookup.hpp"

namespace sl::testing {

class FakeStreamLookup final : public StreamLookup {
 public:
  void add(const std::string& owner, const std::string& id, std::shared_ptr<const FrameStore> s) {
    streams_[id] = {owner, std::move(s)};
  }
  Result<std::shared_ptr<const FrameStore>> store(const std::string& owner,
                                                  const std::string& id) const override {
    auto it = streams_.find(id);
    if (it == streams_.end() || it->second.first != owner)
      return make_error(ErrorCode::stream_not_found, "No stream with id '" + id + "'.");
    return it->second.second;
  }

 private:
  std::map<std::string, std::pair<std::string, std::shared_ptr<const FrameStore>>> streams_;
};

}  // namespace sl::testing
