// Small loops over float vectors shared by the CPU ops. Written with independent lane
// accumulators so compilers vectorize them without -ffast-math.
#pragma once

#include <cstdint>

namespace mobiq::math {

inline constexpr int kLanes = 16;

// Eight lanes in one SIMD register (GCC/Clang vector extensions: AVX on x86-64, two NEON registers
// on aarch64). Used where plain loops over arrays did not keep accumulators in registers.
typedef float Float8 __attribute__((vector_size(32)));
typedef uint8_t Byte8 __attribute__((vector_size(8)));
typedef int32_t Int8 __attribute__((vector_size(32)));

inline float horizontal_sum(Float8 v) {
  return (v[0] + v[4]) + (v[1] + v[5]) + (v[2] + v[6]) + (v[3] + v[7]);
}

inline float dot(const float* a, const float* b, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  float sum = 0.0f;
  for (; i < n; ++i) sum += a[i] * b[i];
  for (int l = 0; l < kLanes; ++l) sum += acc[l];
  return sum;
}

// y += a * x
inline void axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

inline float sum(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += x[i + l];
  float s = 0.0f;
  for (; i < n; ++i) s += x[i];
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  return s;
}

}  // namespace mobiq::math
