#include "engine/torch/tensors.hpp"

#include <cstring>
#include <stdexcept>

#include "engine/torch/bf16_matvec.hpp"

namespace sl::engine::torch_impl {

namespace {

at::ScalarType scalar_type(DType t) {
  switch (t) {
    case DType::f32: return at::kFloat;
    case DType::f16: return at::kHalf;
    case DType::bf16: return at::kBFloat16;
    default: throw std::runtime_error("tensor is not f32, f16 or bf16");
  }
}

}  // namespace

at::Tensor TensorLoader::maybe(const std::string& name) const {
  const TensorView* view = weights_.find(name);
  if (!view) return {};
  const at::ScalarType stored = scalar_type(view->dtype);
  std::vector<int64_t> shape(view->shape.begin(), view->shape.end());
  const auto address = reinterpret_cast<std::uintptr_t>(view->bytes.data());
  const bool aligned = address % dtype_size(view->dtype) == 0;
  // The mapping is read-only and outlives the model (it holds the checkpoint); nothing writes
  // to weights, so a view is safe.
  at::Tensor mapped;
  if (aligned) {
    mapped = at::from_blob(const_cast<std::byte*>(view->bytes.data()), shape, at::TensorOptions().dtype(stored));
  } else {
    mapped = at::empty(shape, at::TensorOptions().dtype(stored));
    std::memcpy(mapped.data_ptr(), view->bytes.data(), view->bytes.size());
  }
  if (stored == dtype_ && device_.is_cpu()) return mapped;  // in place: no copy
  return mapped.to(device_, dtype_).contiguous();
}

bool TensorLoader::kept_bf16(const std::string& name) const {
  const TensorView* view = weights_.find(name);
  return keep_bf16_ && view && view->dtype == DType::bf16 && dtype_ == at::kFloat && device_.is_cpu();
}

at::Tensor TensorLoader::matrix(const std::string& name) const {
  if (!kept_bf16(name)) return get(name);
  const TensorView* view = weights_.find(name);
  std::vector<int64_t> shape(view->shape.begin(), view->shape.end());
  const auto options = at::TensorOptions().dtype(at::kBFloat16);
  if (reinterpret_cast<std::uintptr_t>(view->bytes.data()) % dtype_size(view->dtype) == 0)
    return at::from_blob(const_cast<std::byte*>(view->bytes.data()), shape, options);
  at::Tensor copy = at::empty(shape, options);
  std::memcpy(copy.data_ptr(), view->bytes.data(), view->bytes.size());
  return copy;
}

bool TensorLoader::in_place(const std::string& name) const {
  const TensorView* view = weights_.find(name);
  if (!view || !device_.is_cpu()) return false;
  if (scalar_type(view->dtype) != dtype_ && !kept_bf16(name)) return false;
  return reinterpret_cast<std::uintptr_t>(view->bytes.data()) % dtype_size(view->dtype) == 0;
}

namespace {

// Up to this many rows, a kept bf16 matrix is multiplied directly (each weight read once, as
// bf16); more rows (prefill, vision) convert it for the BLAS, which then wins.
constexpr int64_t kMatvecRows = 8;

}  // namespace

at::Tensor dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, RowPool* pool) {
  const auto bias = b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt;
  if (w.scalar_type() == x.scalar_type()) return at::linear(x, w, bias);
  const int64_t in = x.size(-1), rows = in > 0 ? x.numel() / in : 0;
  if (w.scalar_type() == at::kBFloat16 && x.scalar_type() == at::kFloat && x.is_cpu() && rows <= kMatvecRows &&
      w.is_contiguous() && w.size(1) == in && bf16_matvec_supported()) {
    const at::Tensor xc = x.contiguous();
    const at::Tensor bc = b.defined() ? b.to(at::kFloat).contiguous() : at::Tensor();
    std::vector<int64_t> sizes = x.sizes().vec();
    sizes.back() = w.size(0);
    at::Tensor y = at::empty(sizes, x.options());
    bf16_matvec(xc.data_ptr<float>(), rows, in, reinterpret_cast<const std::uint16_t*>(w.data_ptr()), w.size(0),
                bc.defined() ? bc.data_ptr<float>() : nullptr, y.data_ptr<float>(), pool);
    return y;
  }
  return at::linear(x, w.to(x.scalar_type()), bias);
}

FusedLinear::FusedLinear(const TensorLoader& loader, const std::vector<std::string>& weight_names,
                         const std::vector<std::string>& bias_names) {
  bool all_in_place = true;
  for (const auto& n : weight_names) all_in_place = all_in_place && loader.in_place(n);
  for (const auto& n : weight_names) {
    w_.push_back(loader.matrix(n));
    sizes_.push_back(w_.back().size(0));
  }
  for (const auto& n : bias_names) b_.push_back(loader.get(n));
  if (!all_in_place && w_.size() > 1) {
    w_ = {at::cat(w_)};
    if (!b_.empty()) b_ = {at::cat(b_)};
  }
}

std::vector<at::Tensor> FusedLinear::operator()(const at::Tensor& x, RowPool* pool) const {
  std::vector<at::Tensor> out;
  if (w_.size() == 1 && sizes_.size() > 1) {
    const at::Tensor y = dense(x, w_[0], b_.empty() ? at::Tensor() : b_[0], pool);
    int64_t at = 0;
    for (int64_t n : sizes_) {
      out.push_back(y.narrow(-1, at, n));
      at += n;
    }
    return out;
  }
  for (std::size_t i = 0; i < w_.size(); ++i) out.push_back(dense(x, w_[i], b_.empty() ? at::Tensor() : b_[i], pool));
  return out;
}

at::Tensor TensorLoader::get(const std::string& name) const {
  at::Tensor t = maybe(name);
  if (!t.defined()) throw std::runtime_error("tensor " + name + " is missing");
  return t;
}

}  // namespace sl::engine::torch_impl
