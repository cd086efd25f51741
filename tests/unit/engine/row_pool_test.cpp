// RowPool (engine/torch/row_pool.hpp) and the pooled bf16 few-row product: every item is run
// exactly once whatever the split, and the pooled product is bit-identical to the single-thread
// one (each output is computed the same way wherever it runs), for odd output counts, fewer
// outputs than threads, and every input row count of the direct path.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "engine/torch/bf16_matvec.hpp"
#include "engine/torch/row_pool.hpp"

namespace sl::engine::torch_impl {
namespace {

TEST(RowPool, RunsEveryItemOnce) {
  for (int threads : {1, 2, 3, 4}) {
    RowPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (std::int64_t count : {0, 1, 2, 3, 7, 16, 17, 1000, 4097}) {
      for (std::int64_t grain : {1, 3, 16, 5000}) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
        pool.run(count, grain, [&](std::int64_t b, std::int64_t e) {
          ASSERT_LE(0, b);
          ASSERT_LT(b, e);
          ASSERT_LE(e, count);
          for (std::int64_t i = b; i < e; ++i) hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
        for (std::int64_t i = 0; i < count; ++i) ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1) << i;
      }
    }
  }
}

TEST(RowPool, CallersFromSeveralThreads) {
  // One job at a time: a caller that finds the pool busy runs its range itself.
  RowPool pool(2);
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        std::vector<std::atomic<int>> hits(257);
        pool.run(257, 8, [&](std::int64_t b, std::int64_t e) {
          for (std::int64_t i = b; i < e; ++i) hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
        for (auto& h : hits) wrong += h.load() != 1;
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(RowPool, PooledBf16ProductIsBitIdentical) {
  if (!bf16_matvec_supported()) GTEST_SKIP() << "no AVX2/FMA";
  at::manual_seed(11);
  for (int threads : {2, 3}) {
    RowPool pool(threads);
    // Outputs: fewer than the threads, odd, not a multiple of the chunk, several chunks.
    for (std::int64_t out : {1, 2, 3, 17, 37, 129, 1001}) {
      for (std::int64_t in : {16, 40, 100}) {
        for (std::int64_t rows : {1, 3, 5, 8}) {
          const at::Tensor w = at::randn({out, in}).to(at::kBFloat16).contiguous();
          const at::Tensor x = at::randn({rows, in});
          const at::Tensor b = at::randn({out});
          const auto* wp = reinterpret_cast<const std::uint16_t*>(w.data_ptr());
          const float* with_bias = b.data_ptr<float>();
          for (const float* bias : {static_cast<const float*>(nullptr), with_bias}) {
            at::Tensor alone = at::empty({rows, out}), pooled = at::full({rows, out}, 12345.0f);
            bf16_matvec(x.data_ptr<float>(), rows, in, wp, out, bias, alone.data_ptr<float>());
            bf16_matvec(x.data_ptr<float>(), rows, in, wp, out, bias, pooled.data_ptr<float>(), &pool);
            ASSERT_EQ(std::memcmp(alone.data_ptr<float>(), pooled.data_ptr<float>(),
                                  static_cast<std::size_t>(rows * out) * sizeof(float)),
                      0)
                << "threads " << threads << " out " << out << " in " << in << " rows " << rows;
            // And both are the f32 product of the converted weights.
            const at::Tensor want = bias ? at::linear(x, w.to(at::kFloat), b) : at::linear(x, w.to(at::kFloat));
            EXPECT_LE((pooled - want).abs().max().item<double>(), 1e-5 * (want.abs().max().item<double>() + 1.0));
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace sl::engine::torch_impl
