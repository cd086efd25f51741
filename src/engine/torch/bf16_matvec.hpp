// Internal to sl_engine_torch: a matrix-vector product for a few input rows against a bf16
// weight matrix, accumulated in f32. It lets f32 compute keep a bf16 checkpoint's matrices as
// they are mapped (half the resident memory of converting them) while a decode step reads half
// the bytes; bf16 -> f32 is exact, so only the order of the f32 additions differs from a BLAS.
// Thread-safe; needs AVX2 and FMA (bf16_matvec_supported(), checked at run time). With a pool,
// the output features are split between its threads; each output is computed the same way
// wherever it runs, so pooled and single-thread results are bit-identical.
#pragma once

#include <cstdint>

namespace sl::engine::torch_impl {

class RowPool;

bool bf16_matvec_supported();

// y[r * out + o] = sum_i x[r * in + i] * w[o * in + i] (+ bias[o]), for r < rows. w holds bf16
// bit patterns, row-major [out, in]; bias and pool may be null (null pool: this thread only).
void bf16_matvec(const float* x, std::int64_t rows, std::int64_t in, const std::uint16_t* w, std::int64_t out,
                 const float* bias, float* y, RowPool* pool = nullptr);

}  // namespace sl::engine::torch_impl
