// The "scalar" kernel set: the kernels' int8 math in plain portable C++, one scalar step at a
// time. It is the oracle the SIMD sets are tested against and the fallback on CPUs without them.
#include <algorithm>
#include <cmath>

#include "backends/cpu/kernels/kernel_views.h"
#include "runtime/core/half.h"

namespace mobiq::cpu {
namespace {

void quantize__reference(const float* x, int64_t n, int64_t in, int8_t* codes, float* scales, int32_t* sums) {
  const int64_t groups = (in + kGroupInputs - 1) / kGroupInputs;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t g = 0; g < groups; ++g) {
      const float* xg = x + t * in + g * kGroupInputs;
      const int64_t len = std::min(kGroupInputs, in - g * kGroupInputs);
      float amax = 0.0f;
      for (int64_t i = 0; i < len; ++i) amax = std::max(amax, std::fabs(xg[i]));
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      int8_t* c = codes + (t * groups + g) * kGroupInputs;
      int32_t sum = 0;
      for (int64_t i = 0; i < kGroupInputs; ++i) {
        const long q = i < len ? std::clamp(std::lrint(xg[i] * inv), -127L, 127L) : 0;
        c[(i % 4) * kGroupBytes + i / 4] = static_cast<int8_t>(q);  // column 4b + f -> chunk f, byte b
        sum += static_cast<int32_t>(q);
      }
      scales[t * groups + g] = amax / 127.0f;
      sums[t * groups + g] = sum;
    }
}

// The k-plane code of field f (column 4b + f) of byte b in one row's 32-byte group of each plane.
int code_k(const uint8_t* const* rows, int k, int64_t b, int f) {
  int q = 0;
  for (int p = 0; p < k; ++p) q = q * 4 + ((rows[p][b] >> (2 * f)) & 3);
  return q;
}

void sliced_rows__reference(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0, int64_t block1,
                            float* y, int64_t y_stride) {
  const float top = static_cast<float>(1 << (2 * (k - 1)));  // 4^(k-1)
  const float offset = 0.5f * (top - 1.0f);                   // m_k = top * z + offset
  for (int64_t b = block0; b < block1; ++b)
    for (int64_t t = 0; t < x.tokens; ++t) {
      float acc[kRowBlock] = {};
      for (int64_t g = 0; g < w.groups; ++g) {
        const int64_t bg = b * w.groups + g;
        const int8_t* xq = x.codes + (t * x.groups + g) * kGroupInputs;
        const float d = x.scales[t * x.groups + g] / top;
        const float xsum = static_cast<float>(x.sums[t * x.groups + g]);
        const uint16_t* params = w.params + bg * 2 * kRowBlock;
        for (int64_t r = 0; r < kRowBlock; ++r) {
          const uint8_t* rows[4];
          for (int p = 0; p < k; ++p) rows[p] = w.planes[p] + (bg * kRowBlock + r) * kGroupBytes;
          int32_t dot = 0;
          for (int64_t i = 0; i < kGroupBytes; ++i)
            for (int f = 0; f < 4; ++f) dot += code_k(rows, k, i, f) * xq[f * kGroupBytes + i];
          const float m = top * f16_to_f32(params[kRowBlock + r]) + offset;
          acc[r] += f16_to_f32(params[r]) * d * (static_cast<float>(dot) - m * xsum);
        }
      }
      for (int64_t r = 0; r < kRowBlock && b * kRowBlock + r < w.out; ++r) y[t * y_stride + b * kRowBlock + r] = acc[r];
    }
}

void dense_q8_rows__reference(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1, float* y,
                              int64_t y_stride) {
  for (int64_t b = block0; b < block1; ++b)
    for (int64_t t = 0; t < x.tokens; ++t) {
      float acc[kRowBlock] = {};
      for (int64_t g = 0; g < w.groups; ++g) {
        const int64_t bg = b * w.groups + g;
        const int8_t* xq = x.codes + (t * x.groups + g) * kGroupInputs;
        for (int64_t r = 0; r < kRowBlock; ++r) {
          const int8_t* wq = w.codes + (bg * kRowBlock + r) * kGroupInputs;
          int32_t dot = 0;
          for (int64_t i = 0; i < kGroupInputs; ++i) dot += wq[i] * xq[i];
          acc[r] += w.scales[bg * kRowBlock + r] * x.scales[t * x.groups + g] * static_cast<float>(dot);
        }
      }
      for (int64_t r = 0; r < kRowBlock && b * kRowBlock + r < w.out; ++r) y[t * y_stride + b * kRowBlock + r] = acc[r];
    }
}

}  // namespace

extern const KernelSet kReferenceKernels;
const KernelSet kReferenceKernels{"scalar", quantize__reference, sliced_rows__reference, dense_q8_rows__reference};

}  // namespace mobiq::cpu
