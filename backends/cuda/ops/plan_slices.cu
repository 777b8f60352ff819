// Each token's slice count for one (layer, group), from the plan in device memory: a thread per token.
// The same rules as the CPU reference (backends/cpu/cpu_executor.cc, plan_group), so an explicit or
// random plan gives the same counts on both.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/ops.h"
#include "backends/slice_plan.h"

namespace mobiq::cuda {
namespace {

// A uniform draw in [0, 1) from a 64-bit key (splitmix64 finaliser), as on the CPU.
__device__ double uniform_from_hash(uint64_t key) {
  key += 0x9E3779B97F4A7C15ull;
  key = (key ^ (key >> 30)) * 0xBF58476D1CE4E5B9ull;
  key = (key ^ (key >> 27)) * 0x94D049BB133111EBull;
  key ^= key >> 31;
  return static_cast<double>(key >> 11) * 0x1.0p-53;
}

__global__ void plan_slices_kernel(PlanArrays arrays, const float* scores, int layer, int group, int n,
                                   double weights_per_slice, double router_parameters, uint8_t* k_out,
                                   uint8_t* recorded, double* stats) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= n) return;
  const DevicePlan& plan = *arrays.plan;
  const int slot = layer * kLinearGroups + group;
  int k = plan.slices;
  switch (static_cast<SlicePlan::Mode>(plan.mode)) {
    case SlicePlan::Mode::kUniform: break;
    case SlicePlan::Mode::kPerGroup: k = arrays.group_slices[slot]; break;
    case SlicePlan::Mode::kExplicit:
      k = arrays.explicit_slices[(int64_t{t} * plan.n_layers + layer) * kLinearGroups + group];
      break;
    case SlicePlan::Mode::kRouted: {
      const float threshold = arrays.thresholds[slot] + plan.threshold_offset;
      k = 1;
      while (k <= kResidualPlanes && scores[t * kResidualPlanes + k - 1] >= threshold) ++k;
      atomicAdd(stats + 1, router_parameters);
      break;
    }
    case SlicePlan::Mode::kRandom: {
      const uint64_t key = (plan.random_seed * 0x9E3779B97F4A7C15ull) ^
                           ((static_cast<uint64_t>(plan.start + t) << 16) | (layer << 2) | group);
      k = plan.random_base + (uniform_from_hash(key) < plan.random_extra ? 1 : 0);
      break;
    }
  }
  k = min(k, plan.cap);
  k_out[t] = static_cast<uint8_t>(k);
  if (recorded != nullptr) recorded[(int64_t{t} * plan.n_layers + layer) * kLinearGroups + group] = static_cast<uint8_t>(k);
  atomicAdd(stats, weights_per_slice * k);
}

}  // namespace

Status plan_slices(const PlanArrays& plan, const float* scores, int layer, int group, int n, double weights_per_slice,
                   double router_parameters, uint8_t* k, uint8_t* recorded, double* stats, cudaStream_t stream) {
  plan_slices_kernel<<<(n + 127) / 128, 128, 0, stream>>>(plan, scores, layer, group, n, weights_per_slice,
                                                          router_parameters, k, recorded, stats);
  return check_launch("plan_slices_kernel");
}

}  // namespace mobiq::cuda
