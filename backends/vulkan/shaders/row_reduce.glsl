// Matmul workgroups: 4 rows of W per workgroup, 16 lanes per row, each lane summing a strided part
// of the row; the 16 partial sums are reduced in shared memory (no subgroup size assumed).
#define ROWS_PER_WG 4
#define LANES 16

shared float row_partial[WG];

// Sum of v over the 16 lanes of this invocation's row; valid in lane 0. Contains barriers.
float row_sum(float v) {
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
