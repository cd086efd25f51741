// Internal to sl_engine_torch: checkpoint tensors as ATen tensors in the compute precision and
// on the compute device (see load_model.hpp for the conversion rules). Throws std::runtime_error
// for a tensor the checkpoint lacks; load_model turns exceptions into Status.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>

#include "engine/checkpoint.hpp"

namespace sl::engine::torch_impl {

class TensorLoader {
 public:
  TensorLoader(const Weights& weights, at::ScalarType dtype, at::Device device)
      : weights_(weights), dtype_(dtype), device_(device) {}
  at::Tensor get(const std::string& name) const;
  at::Tensor maybe(const std::string& name) const;  // undefined tensor when absent
  at::ScalarType dtype() const { return dtype_; }
  at::Device device() const { return device_; }

 private:
  const Weights& weights_;
  at::ScalarType dtype_;
  at::Device device_;
};

// x @ w^T (+ b), b may be undefined.
inline at::Tensor dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b = {}) {
  return at::linear(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
}

}  // namespace sl::engine::torch_impl
