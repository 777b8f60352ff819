#version 450
// out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * weight. Grid: (1, rows). With from_head_first, row t
// reads token io[IO_HEAD_FIRST] + t (the rows whose logits are wanted).
#include "common.glsl"

layout(push_constant) uniform Push {
  uint x;       // act offset of x [tokens][dim]
  uint out_;    // act offset of out [rows][dim]
  uint weight;  // word offset of the f32 norm weight [dim]
  uint dim;
  float eps;
  uint from_head_first;
} pc;

void main() {
  const uint row = gl_WorkGroupID.y;
  const uint t = row + (pc.from_head_first != 0u ? io[IO_HEAD_FIRST] : 0u);
  const uint src = pc.x + t * pc.dim;
  float sq = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < pc.dim; i += WG) sq += act[src + i] * act[src + i];
  const float inv = 1.0 / sqrt(workgroup_sum(sq) / float(pc.dim) + pc.eps);
  for (uint i = gl_LocalInvocationID.x; i < pc.dim; i += WG)
    act[pc.out_ + row * pc.dim + i] = act[src + i] * inv * f32_weight(pc.weight + i);
}
