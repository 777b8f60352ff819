// Matmul throughput on the CPU backend.
//
// 1. The f32 reference path (runtime/math/matmul.h) on fixture-a's projections, tokens 1
//    (decode) and 512 (a prefill window), against a dense f32 matmul of the same shape.
// 2. The kernel library (backends/cpu/kernels) on 7B-class shapes, one token, per kernel set, slice
//    count k and thread count: time per matmul, GB/s of weight bytes actually read (planes 0..k-1 plus
//    the f16 scales and zeros) and that as a fraction of a STREAM-style read (summing an array far
//    larger than the caches) measured at the start of the same run with the same threads. The f32
//    reference path on the same shapes ("ops-f32") is the baseline. A summary table ends the run.
//    --kernel_threads=1,2 picks the thread counts (default 1,2).
#include <benchmark/benchmark.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "backends/cpu/kernels/kernels.h"
#include "runtime/math/matmul.h"
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
  math::MatmulWorkspace workspace(pool.size(), kIn);
  const DenseTensor dense{DType::kF32, w.data(), kOut, kIn};
  for (auto _ : state) {
    math::matmul_dense(dense, x.data(), tokens, y.data(), pool, workspace);
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
  math::MatmulWorkspace workspace(pool.size(), kIn);
  LinearWeights linear;
  linear.sliced = w.view;
  for (auto _ : state) {
    math::matmul(linear, k, x.data(), tokens, y.data(), pool, workspace);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kOut * kIn * tokens, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_dense_f32)->Arg(1)->Arg(512)->UseRealTime();
BENCHMARK(BM_sliced)->ArgsProduct({{1, 512}, {1, 2, 3, 4}})->UseRealTime();

// ---- The kernel library on large shapes ----

// Random sliced weights made straight as bytes (every byte pattern is a valid set of 2-bit codes):
// RandomSliced's per-code loop is too slow for 58M weights.
struct BigSliced {
  std::vector<std::vector<uint8_t>> planes;
  std::vector<uint16_t> scales, zeros;
  SlicedTensor view;
  BigSliced(int64_t out, int64_t in) {
    uint64_t s = 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(out * 31 + in);
    const auto next = [&s] {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      return s;
    };
    planes.assign(kMaxPlanes, std::vector<uint8_t>(out * packed_row_bytes(in)));
    for (auto& plane : planes)
      for (size_t i = 0; i < plane.size(); i += 8) {
        const uint64_t v = next();
        std::memcpy(plane.data() + i, &v, std::min<size_t>(8, plane.size() - i));
      }
    for (int64_t g = 0; g < out * n_groups(in); ++g) {
      scales.push_back(f32_to_f16(0.01f + 0.09f * static_cast<float>(next() % 1000) / 1000.0f));
      zeros.push_back(f32_to_f16(-0.5f + 4.0f * static_cast<float>(next() % 1000) / 1000.0f));
    }
    view = {out, in, kMaxPlanes, {planes[0].data(), planes[1].data(), planes[2].data(), planes[3].data()},
            scales.data(), zeros.data()};
  }
};

// The weights, packed into enough copies that one pass over all of them is >= 512 MiB: a matmul
// cycles through the copies, so its weights come from DRAM as in a model far larger than the L3
// (one 4096x4096 linear alone, 16.5 MB at k = 4, would stay in this machine's 32 MB L3).
struct Fixture {
  BigSliced raw;
  std::vector<PackedSliced> copies;
  size_t next = 0;
  const PackedSliced& packed() { return copies[next++ % copies.size()]; }
};

Fixture& fixture(int64_t out, int64_t in) {
  static std::map<std::pair<int64_t, int64_t>, std::unique_ptr<Fixture>> cache;
  auto& f = cache[{out, in}];
  if (!f) {
    f = std::make_unique<Fixture>(Fixture{BigSliced(out, in), {}});
    f->copies.push_back(PackedSliced::pack(f->raw.view).value());
    const int64_t copies = std::max<int64_t>(2, ((int64_t{512} << 20) + f->copies[0].bytes_read(4) - 1) / f->copies[0].bytes_read(4));
    while (static_cast<int64_t>(f->copies.size()) < copies) f->copies.push_back(PackedSliced::pack(f->raw.view).value());
  }
  return *f;
}

ThreadPool& pool(int threads) {
  static std::map<int, std::unique_ptr<ThreadPool>> pools;
  auto& p = pools[threads];
  if (!p) p = std::make_unique<ThreadPool>(threads);
  return *p;
}

double process_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Sum of data[b, e) with four independent 32-byte accumulators; with AVX2 where the CPU has it (a
// portable build's SSE2 code reads this machine's memory ~20% slower), so the kernels are measured
// against what a vector loop gets. (Four streams a quarter-array apart measured ~35% slower here.)
#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t sum_avx2(const uint64_t* data, int64_t b, int64_t e) {
  __m256i s[4] = {};
  int64_t i = b;
  for (; i + 16 <= e; i += 16)
    for (int j = 0; j < 4; ++j)
      s[j] = _mm256_add_epi64(s[j], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i + 4 * j)));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_add_epi64(_mm256_add_epi64(s[0], s[1]), _mm256_add_epi64(s[2], s[3])));
  uint64_t total = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (; i < e; ++i) total += data[i];
  return total;
}
#endif

uint64_t sum_generic(const uint64_t* data, int64_t b, int64_t e) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = b;
  for (; i + 4 <= e; i += 4) s0 += data[i], s1 += data[i + 1], s2 += data[i + 2], s3 += data[i + 3];
  for (; i < e; ++i) s0 += data[i];
  return s0 + s1 + s2 + s3;
}

// STREAM-style read bandwidth: summing a 1 GiB array (>> the caches) split across `threads`, best of
// 5, per second of wall time and per second of CPU time per thread.
std::pair<double, double> stream_read_gbps(int threads) {
  const int64_t n = (int64_t{1} << 30) / sizeof(uint64_t);
  static std::vector<uint64_t> data(n, 1);
  std::vector<uint64_t> partial(threads);
  double best = 0, best_cpu = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    pool(threads).parallel_for(n, n / threads, [&](int64_t b, int64_t e, int worker) {
#if defined(__x86_64__)
      if (__builtin_cpu_supports("avx2")) {
        partial[worker] = sum_avx2(data.data(), b, e);
        return;
      }
#endif
      partial[worker] = sum_generic(data.data(), b, e);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = (process_cpu_seconds() - cpu0) / threads;
    benchmark::DoNotOptimize(partial.data());
    best = std::max(best, n * sizeof(uint64_t) / s / 1e9);
    best_cpu = std::max(best_cpu, n * sizeof(uint64_t) / cpu / 1e9);
  }
  return {best, best_cpu};
}

struct Row {
  std::string set;
  int64_t out, in;
  int k, threads;
  double us, gbps, fraction;
  double cpu_us = 0, cpu_gbps = 0;  // per thread CPU time, and bytes over it
};
std::map<std::string, Row> g_rows;  // by set/shape/k/threads; the last (measured) run wins
std::map<int, double> g_stream;     // threads -> GB/s
std::map<int, double> g_stream_cpu; // threads -> GB/s per CPU second per thread

// Times `once` under Google Benchmark and records it; bytes = weight bytes one call reads. Besides
// wall time, the process's CPU time per thread: on a machine shared with other jobs a thread that
// is descheduled mid-matmul inflates wall time, not CPU time (the pool's idle workers sleep).
template <typename Once>
void measure(benchmark::State& state, const Row& row, int64_t bytes, const Once& once) {
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) once();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = process_cpu_seconds() - cpu0;
  Row r = row;
  r.us = s / static_cast<double>(state.iterations()) * 1e6;
  r.cpu_us = cpu / row.threads / static_cast<double>(state.iterations()) * 1e6;
  r.gbps = bytes / (r.us * 1e3);
  r.cpu_gbps = bytes / (r.cpu_us * 1e3);
  r.fraction = r.gbps / g_stream[row.threads];
  g_rows[r.set + "/" + std::to_string(r.out) + "x" + std::to_string(r.in) + "/" + std::to_string(r.k) + "/" + std::to_string(r.threads)] = r;
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["GB/s"] = r.gbps;
  state.counters["of_stream"] = r.fraction;
}

void BM_kernels(benchmark::State& state, const KernelSet* set, int64_t out, int64_t in, int k, int threads) {
  Fixture& f = fixture(out, in);
  const std::vector<float> x = test::random_floats(in, 2);
  std::vector<float> y(out);
  QuantizedInput xq;
  if (!quantize_input(*set, x.data(), 1, in, xq).ok()) return state.SkipWithError("quantize_input failed");
  const int64_t blocks = (out + kRowBlock - 1) / kRowBlock;
  measure(state, {set->name, out, in, k, threads, 0, 0, 0}, f.copies[0].bytes_read(k), [&] {
    const PackedSliced& w = f.packed();
    pool(threads).parallel_for(blocks, 1, [&](int64_t b0, int64_t b1, int) {
      const Status s = sliced_matmul_rows(*set, w, k, xq, b0 * kRowBlock, std::min(out, b1 * kRowBlock), y.data());
      benchmark::DoNotOptimize(s.ok());
    });
    benchmark::DoNotOptimize(y.data());
  });
}

// Today's f32 reference path on the same weights, bytes counted the same way (it reads f16 params
// too). It reads the unpacked weights, one copy: from the L3 when they fit, which only flatters it.
void BM_ops_f32(benchmark::State& state, int64_t out, int64_t in, int k, int threads) {
  Fixture& f = fixture(out, in);
  const std::vector<float> x = test::random_floats(in, 2);
  std::vector<float> y(out);
  math::MatmulWorkspace workspace(pool(threads).size(), in);
  LinearWeights linear;
  linear.sliced = f.raw.view;
  measure(state, {"ops-f32", out, in, k, threads, 0, 0, 0}, f.copies[0].bytes_read(k), [&] {
    math::matmul(linear, k, x.data(), 1, y.data(), pool(threads), workspace);
    benchmark::DoNotOptimize(y.data());
  });
}

std::vector<int> parse_threads(int& argc, char** argv) {
  std::vector<int> threads = {1, 2};
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--kernel_threads=", 17) == 0) {
      threads.clear();
      for (const char* p = argv[i] + 17; *p;) {
        threads.push_back(std::atoi(p));
        while (*p && *p != ',') ++p;
        if (*p == ',') ++p;
      }
      std::copy(argv + i + 1, argv + argc, argv + i);
      --argc;
      break;
    }
  return threads;
}

void print_summary() {
  std::printf("\nSliced matmul, 1 token: weight bytes read (k planes + f16 scales/zeros) per second of wall\n"
              "time, then per second of CPU time per thread\n");
  for (const auto& [threads, gbps] : g_stream)
    std::printf("STREAM-style read, %d thread(s): %.1f GB/s; per CPU second per thread %.1f GB/s\n", threads, gbps,
                g_stream_cpu[threads]);
  std::printf("%-12s %-12s %2s %3s %10s %8s %9s %10s %8s %9s\n", "set", "shape", "k", "thr", "us", "GB/s", "of STREAM",
              "cpu us", "GB/s", "of STREAM");
  std::vector<Row> rows;
  for (const auto& [name, row] : g_rows) rows.push_back(row);
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.out, a.in, a.threads, a.k, a.set) < std::tie(b.out, b.in, b.threads, b.k, b.set);
  });
  for (const Row& r : rows) {
    const std::string shape = std::to_string(r.out) + "x" + std::to_string(r.in);
    std::printf("%-12s %-12s %2d %3d %10.1f %8.2f %8.0f%% %10.1f %8.2f %8.0f%%\n", r.set.c_str(), shape.c_str(), r.k,
                r.threads, r.us, r.gbps, 100 * r.fraction, r.cpu_us, r.cpu_gbps, 100 * r.cpu_gbps / g_stream_cpu[r.threads]);
  }
}

}  // namespace
}  // namespace mobiq::cpu

int main(int argc, char** argv) {
  using namespace mobiq::cpu;
  const std::vector<int> threads = parse_threads(argc, argv);
  benchmark::Initialize(&argc, argv);
  for (int t : threads) std::tie(g_stream[t], g_stream_cpu[t]) = stream_read_gbps(t);
  const std::pair<int64_t, int64_t> shapes[] = {{4096, 4096}, {11008, 4096}, {4096, 11008}, {14336, 4096}};
  for (auto [out, in] : shapes)
    for (int t : threads)
      for (int k = 1; k <= mobiq::kMaxPlanes; ++k) {
        // snprintf rather than "/" + std::to_string(..): g++ 12 warns falsely (-Wrestrict) on the latter.
        const auto name = [&](const char* set) {
          char buffer[128];
          std::snprintf(buffer, sizeof buffer, "BM_kernels/%s/%lldx%lld/k%d/threads:%d", set, static_cast<long long>(out),
                        static_cast<long long>(in), k, t);
          return std::string(buffer);
        };
        for (const KernelSet* set : available_kernel_sets())
          benchmark::RegisterBenchmark(name(set->name).c_str(), BM_kernels, set, out, in, k, t)
              ->UseRealTime()
              ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(name("ops-f32").c_str(), BM_ops_f32, out, in, k, t)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
  benchmark::RunSpecifiedBenchmarks();
  print_summary();
  benchmark::Shutdown();
  return 0;
}
