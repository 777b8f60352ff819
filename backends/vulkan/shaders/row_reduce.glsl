// Matmul workgroups: LANES invocations per row of W, each summing a strided part of the row, the
// partial sums reduced in shared memory (no subgroup size assumed); WG / LANES rows per workgroup.
// LANES is a specialization constant chosen at pipeline creation (vulkan_pipelines.cc): 16 on GPUs
// (neighbouring lanes read neighbouring bytes), 1 on CPU drivers such as lavapipe, where a workgroup
// with barriers costs far more than the uncoalesced reads of one row per invocation.
layout(constant_id = 0) const uint LANES = 16;
#define ROWS_PER_WG (WG / LANES)

shared float row_partial[WG];

// Sum of v over the LANES lanes of this invocation's row; valid in lane 0. Contains barriers
// unless LANES is 1.
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
  return row_partial[tid];
}
