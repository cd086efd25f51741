// dense() with a bf16 weight matrix under f32 compute (the kept-weights path of
// engine/torch/tensors.hpp): the direct few-row product and the converting path must both
// agree with an f32 product of the converted matrix.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "engine/torch/tensors.hpp"

namespace sl::engine::torch_impl {
namespace {

void expect_close(const at::Tensor& got, const at::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  const double scale = want.abs().max().item<double>() + 1.0;
  EXPECT_LE((got - want).abs().max().item<double>(), 1e-5 * scale);
}

TEST(Dense, Bf16WeightsMatchTheConvertedF32Product) {
  at::manual_seed(7);
  // Widths with and without a tail past the 16-wide vector loop; row counts on both sides of
  // the direct path's limit, and a leading batch dimension.
  for (int64_t in : {16, 40, 576, 100}) {
    for (int64_t rows : {1, 3, 4, 5, 8, 9, 33}) {
      const at::Tensor w = at::randn({37, in}).to(at::kBFloat16);
      const at::Tensor b = at::randn({37});
      const at::Tensor x = at::randn({rows, in});
      const at::Tensor want = at::linear(x, w.to(at::kFloat), b);
      expect_close(dense(x, w, b), want);
      expect_close(dense(x, w), at::linear(x, w.to(at::kFloat)));
      expect_close(dense(x.unsqueeze(0), w, b), want.unsqueeze(0));
    }
  }
}

TEST(Dense, NonContiguousInputs) {
  at::manual_seed(3);
  const at::Tensor w = at::randn({24, 32}).to(at::kBFloat16);
  const at::Tensor x = at::randn({32, 2}).t();  // [2, 32], transposed strides
  expect_close(dense(x, w), at::linear(x.contiguous(), w.to(at::kFloat)));
}

}  // namespace
}  // namespace sl::engine::torch_impl
