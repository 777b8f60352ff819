// Sliced matmul throughput on the CPU reference backend against a dense f32 matmul of the same
// shape measured in the same run. Shapes are fixture-a's projections; tokens 1 (decode) and 512
// (a prefill window). Compare the *_k1..k4 rows with the dense row of the same tokens.
#include <benchmark/benchmark.h>

#include "backends/cpu/ops/matmul.h"
#include "tests/cpu/random_weights.h"

namespace mobiq::cpu {
namespace {

constexpr int64_t kOut = 1024, kIn = 384;

void BM_dense_f32(benchmark::State& state) {
  const int64_t tokens = state.range(0);
  const auto w = test::random_floats(kOut * kIn, 1);
  const auto x = test::random_floats(tokens * kIn, 2);
  std::vector<float> y(tokens * kOut);
  ThreadPool pool(0);
  MatmulWorkspace workspace(pool.size(), kIn);
  const DenseTensor dense{DType::kF32, w.data(), kOut, kIn};
  for (auto _ : state) {
    matmul_dense(dense, x.data(), tokens, y.data(), pool, workspace);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kOut * kIn * tokens, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_sliced(benchmark::State& state) {
  const int64_t tokens = state.range(0);
  const int k = static_cast<int>(state.range(1));
  test::RandomSliced w(kOut, kIn, 3);
  const auto x = test::random_floats(tokens * kIn, 2);
  std::vector<float> y(tokens * kOut);
  ThreadPool pool(0);
  MatmulWorkspace workspace(pool.size(), kIn);
  LinearWeights linear;
  linear.sliced = w.view;
  for (auto _ : state) {
    matmul(linear, k, x.data(), tokens, y.data(), pool, workspace);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kOut * kIn * tokens, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_dense_f32)->Arg(1)->Arg(512)->UseRealTime();
BENCHMARK(BM_sliced)->ArgsProduct({{1, 512}, {1, 2, 3, 4}})->UseRealTime();

}  // namespace
}  // namespace mobiq::cpu

BENCHMARK_MAIN();
