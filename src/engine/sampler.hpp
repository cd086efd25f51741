// Picking the next token from logits: greedy when temperature is 0, else softmax at the given
// temperature restricted to the top_k most likely tokens (0: all) and then to the smallest set
// whose probability reaches top_p (transformers' order: temperature, top-k, top-p). Seeded
// sampling is reproducible for one build of sightline. One Sampler per request (it owns its
// random generator); not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>

#include "core/status.hpp"

namespace sl::engine {

struct SamplingParams {
  double temperature = 1.0;
  double top_p = 1.0;
  int top_k = 0;
  std::optional<std::uint64_t> seed;  // none: seeded from std::random_device

  Status validate() const;  // invalid_request naming the field
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  int pick(std::span<const float> logits);

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
};

int argmax(std::span<const float> logits);

}  // namespace sl::engine
