// Internal to sl_engine_torch: checkpoint tensors as ATen tensors in the compute precision and
// on the compute device (see load_model.hpp for the conversion rules). Throws std::runtime_error
// for a tensor the checkpoint lacks; load_model turns exceptions into Status.
// Weight matrices (matrix()) of a bf16 file computed in f32 on the CPU may stay bf16, as mapped:
// dense() then converts them per use (exact), or for a few rows multiplies them directly
// (bf16_matvec.hpp), so f32 compute does not double the resident weights.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/checkpoint.hpp"

namespace sl::engine::torch_impl {

class RowPool;

class TensorLoader {
 public:
  // keep_bf16: matrix() leaves bf16 matrices as they are for f32 compute on the CPU.
  TensorLoader(const Weights& weights, at::ScalarType dtype, at::Device device, bool keep_bf16 = false)
      : weights_(weights), dtype_(dtype), device_(device), keep_bf16_(keep_bf16) {}
  at::Tensor get(const std::string& name) const;
  at::Tensor maybe(const std::string& name) const;  // undefined tensor when absent
  bool has(const std::string& name) const { return weights_.find(name) != nullptr; }
  // A weight matrix for dense() (or an embedding table): get(name), or the mapped bf16 tensor
  // when kept (see above).
  at::Tensor matrix(const std::string& name) const;
  // Whether matrix(name) is a view of the mapping (used in place, aligned) rather than a copy.
  bool in_place(const std::string& name) const;
  at::ScalarType dtype() const { return dtype_; }
  at::Device device() const { return device_; }

 private:
  const Weights& weights_;
  at::ScalarType dtype_;
  at::Device device_;
  bool keep_bf16_;
  bool kept_bf16(const std::string& name) const;
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
  // One output per projection; pool as for dense().
  std::vector<at::Tensor> operator()(const at::Tensor& x, RowPool* pool = nullptr) const;

 private:
  std::vector<at::Tensor> w_, b_;  // one entry when fused
  std::vector<int64_t> sizes_;     // output features per projection
};

// x @ w^T (+ b), b may be undefined. w in x's type, or bf16 (from matrix()) with x in f32.
// pool (may be null) splits the direct few-row bf16 product between its threads (same values).
at::Tensor dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b = {}, RowPool* pool = nullptr);

}  // namespace sl::engine::torch_impl
