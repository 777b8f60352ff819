#version 450
// y[t][r] = sum_i W[r][i] x[t][i] for a dense W [out][in] in f32, f16 or bf16. Writes activations,
// or the logits buffer (the output head). Grid: (ceil(out / 4), n); 4 rows per workgroup.
#include "common.glsl"
#include "row_reduce.glsl"

layout(push_constant) uniform Push {
  uint w;          // word offset of W in `weights`
  uint dtype;
  uint in_;
  uint out_;
  uint x;          // act offset of x [n][in]
  uint y;          // offset of y [n][out] in act, or in logits with to_logits
  uint to_logits;
} pc;

void main() {
  const uint t = gl_WorkGroupID.y;
  const uint r = gl_WorkGroupID.x * ROWS_PER_WG + gl_LocalInvocationID.x / LANES;
  const uint lane = gl_LocalInvocationID.x % LANES;
  float acc = 0.0;
  if (r < pc.out_) {
    const uint xt = pc.x + t * pc.in_;
    for (uint i = lane; i < pc.in_; i += LANES) acc += read_weight(pc.w, pc.dtype, r * pc.in_ + i) * act[xt + i];
  }
  const float total = row_sum(acc);
  if (lane == 0u && r < pc.out_) {
    if (pc.to_logits != 0u) logits[pc.y + t * pc.out_ + r] = total;
    else act[pc.y + t * pc.out_ + r] = total;
  }
}
