// Internal to sl_engine_torch: checkpoint tensors as ATen tensors in the compute precision and
// on the compute device (see load_model.hpp for the conversion rules). Throws std::runtime_error
// for a tensor the checkpoint lacks; load_model turns exceptions into Status.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/checkpoint.hpp"

namespace sl::engine::torch_impl {

class TensorLoader {
 public:
  TensorLoader(const Weights& weights, at::ScalarType dtype, at::Device device)
      : weights_(weights), dtype_(dtype), device_(device) {}
  at::Tensor get(const std::string& name) const;
  at::Tensor maybe(const std::string& name) const;  // undefined tensor when absent
  // Whether get(name) is a view of the mapping (same type, CPU, aligned) rather than a copy.
  bool in_place(const std::string& name) const;
  at::ScalarType dtype() const { return dtype_; }
  at::Device device() const { return device_; }

 private:
  const Weights& weights_;
  at::ScalarType dtype_;
  at::Device device_;
};

// Several projections of one input (q/k/v, gate/up). Fused into one matrix at load when the
// weights are converted anyway (no extra memory); kept apart when they are used in place from
// the mapping, where a fused copy would double their resident memory.
class FusedLinear {
 public:
  FusedLinear() = default;
  // bias_names empty: no biases.
  FusedLinear(const TensorLoader& loader, const std::vector<std::string>& weight_names,
              const std::vector<std::string>& bias_names);
  std::vector<at::Tensor> operator()(const at::Tensor& x) const;  // one output per projection

 private:
  std::vector<at::Tensor> w_, b_;  // one entry when fused
  std::vector<int64_t> sizes_;     // output features per projection
};

// x @ w^T (+ b), b may be undefined.
inline at::Tensor dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b = {}) {
  return at::linear(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
}

}  // namespace sl::engine::torch_impl
