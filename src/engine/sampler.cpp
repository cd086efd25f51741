#include "engine/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace sl::engine {

Status SamplingParams::validate() const {
  if (!(temperature >= 0) || !std::isfinite(temperature))
    return make_error(ErrorCode::invalid_request, "temperature must be >= 0", "temperature");
  if (!(top_p > 0 && top_p <= 1)) return make_error(ErrorCode::invalid_request, "top_p must be in (0, 1]", "top_p");
  if (top_k < 0) return make_error(ErrorCode::invalid_request, "top_k must be >= 0", "top_k");
  return Status();
}

int argmax(std::span<const float> logits) {
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());  // first of ties
}

Sampler::Sampler(const SamplingParams& params)
    : params_(params), rng_(params.seed ? *params.seed : std::random_device{}()) {}

int Sampler::pick(std::span<const float> logits) {
  if (params_.temperature == 0 || logits.size() <= 1) return argmax(logits);
  std::vector<int> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  // Most likely first; ties by id so the order (and a seeded draw) is deterministic.
  auto better = [&](int a, int b) {
    return logits[static_cast<std::size_t>(a)] > logits[static_cast<std::size_t>(b)] ||
           (logits[static_cast<std::size_t>(a)] == logits[static_cast<std::size_t>(b)] && a < b);
  };
  std::size_t keep = order.size();
  if (params_.top_k > 0 && static_cast<std::size_t>(params_.top_k) < keep) {
    keep = static_cast<std::size_t>(params_.top_k);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), better);
  } else {
    std::sort(order.begin(), order.end(), better);
  }
  std::vector<double> probs(keep);
  const double top = logits[static_cast<std::size_t>(order[0])] / params_.temperature;
  double sum = 0;
  for (std::size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp(logits[static_cast<std::size_t>(order[i])] / params_.temperature - top);
    sum += probs[i];
  }
  if (params_.top_p < 1) {
    double cumulative = 0;
    std::size_t n = 0;
    while (n < keep) {
      cumulative += probs[n] / sum;
      ++n;
      if (cumulative >= params_.top_p) break;
    }
    keep = n;
    probs.resize(keep);
  }
  std::discrete_distribution<std::size_t> pick(probs.begin(), probs.end());
  return order[pick(rng_)];
}

}  // namespace sl::engine
