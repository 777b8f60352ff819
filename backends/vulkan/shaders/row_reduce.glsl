// The matmuls' work split, fixed per pipeline by specialization constants (vulkan_pipelines.cc):
//   LANES  invocations that share a row of W, each summing a strided part of it, the partial sums
//          reduced in shared memory (no subgroup size assumed): 16 on GPUs (neighbouring lanes read
//          neighbouring bytes), 1 on CPU drivers such as lavapipe, where a workgroup with barriers
//          costs far more than the uncoalesced reads of one row per invocation;
//   ROWS   rows of W each invocation computes;
//   TILE   tokens each invocation computes: 1 for a decode step (a GEMV), more for prefill (a GEMM).
// So each weight an invocation reads serves TILE tokens and each activation ROWS rows. A workgroup
// covers ROWS_PER_WG rows of W and TILE tokens.
layout(constant_id = 0) const uint LANES = 16;
layout(constant_id = 1) const uint TILE = 1;
layout(constant_id = 2) const uint ROWS = 1;
#define ROWS_PER_WG (WG / LANES * ROWS)

shared float row_partial[WG];

// Sum of v over the LANES lanes of this invocation's row; valid in lane 0. Contains barriers
// unless LANES is 1: call from uniform control flow.
float row_sum(float v) {
  if (LANES == 1u) return v;
  const uint tid = gl_LocalInvocationID.x;
  const uint lane = tid % LANES;
  row_partial[tid] = v;
  barrier();
  for (uint stride = LANES / 2; stride > 0; stride >>= 1) {
    if (lane < stride) row_partial[tid] += row_partial[tid + stride];
    barrier();
  }
  const float total = row_partial[tid];
  barrier();  // the next call rewrites row_partial
  return total;
}
