#include "engine/torch/bf16_matvec.hpp"

#include <algorithm>
#include <cstring>

#include "engine/torch/row_pool.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sl::engine::torch_impl {

#if defined(__x86_64__)
namespace {

constexpr std::int64_t kMaxRows = 4;  // rows handled in one pass over the weights

__attribute__((target("avx2,fma"))) inline __m256 load_bf16(const std::uint16_t* p) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
}

__attribute__((target("avx2,fma"))) inline float sum8(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

inline float bf16_value(std::uint16_t bits) {
  const std::uint32_t u = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Up to kMaxRows rows, output features [o_begin, o_end) of `out`: each weight row is read once
// for all of them. An output's arithmetic does not depend on the range it is computed in.
__attribute__((target("avx2,fma"))) void block(const float* x, std::int64_t rows, std::int64_t in,
                                               const std::uint16_t* w, std::int64_t out, std::int64_t o_begin,
                                               std::int64_t o_end, const float* bias, float* y) {
  const std::int64_t vec_end = in - in % 16;
  for (std::int64_t o = o_begin; o < o_end; ++o) {
    const std::uint16_t* wr = w + o * in;
    __m256 acc0[kMaxRows], acc1[kMaxRows];
    for (std::int64_t r = 0; r < rows; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
    for (std::int64_t i = 0; i < vec_end; i += 16) {
      const __m256 w0 = load_bf16(wr + i), w1 = load_bf16(wr + i + 8);
      for (std::int64_t r = 0; r < rows; ++r) {
        acc0[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + r * in + i), w0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + r * in + i + 8), w1, acc1[r]);
      }
    }
    for (std::int64_t r = 0; r < rows; ++r) {
      float s = sum8(_mm256_add_ps(acc0[r], acc1[r]));
      for (std::int64_t i = vec_end; i < in; ++i) s += x[r * in + i] * bf16_value(wr[i]);
      y[r * out + o] = bias ? s + bias[o] : s;
    }
  }
}

}  // namespace

bool bf16_matvec_supported() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

void bf16_matvec(const float* x, std::int64_t rows, std::int64_t in, const std::uint16_t* w, std::int64_t out,
                 const float* bias, float* y, RowPool* pool) {
  auto range = [&](std::int64_t o_begin, std::int64_t o_end) {
    for (std::int64_t r = 0; r < rows; r += kMaxRows) {
      const std::int64_t n = rows - r < kMaxRows ? rows - r : kMaxRows;
      block(x + r * in, n, in, w, out, o_begin, o_end, bias, y + r * out);
    }
  };
  if (!pool || pool->threads() < 2) return range(0, out);
  // About 8 chunks per thread, so that a thread that starts late (a worker waking up, a core
  // taken by another process) leaves its share to the others, and at most 128 KiB of weights
  // each, so that the caller never waits long for a chunk a preempted worker holds.
  const std::int64_t even = (out + 8 * pool->threads() - 1) / (8 * pool->threads());
  const std::int64_t cap = 65536 / std::max<std::int64_t>(in, 1);  // rows in 128 KiB of bf16
  const std::int64_t grain = std::max<std::int64_t>(4, std::min(even, cap));
  pool->run(out, grain, range);
}
#else
// Elsewhere dense() converts the weights for the BLAS instead.
bool bf16_matvec_supported() { return false; }
void bf16_matvec(const float*, std::int64_t, std::int64_t, const std::uint16_t*, std::int64_t, const float*, float*,
                 RowPool*) {}
#endif

}  // namespace sl::engine::torch_impl
