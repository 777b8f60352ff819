#version 450
// A group's router for token t (format/model_weights.h): with u = x / rms(x) and
// e = log(mean(x^2)), h = relu(w1 u + b1), score = w2 [h; e] + b2; the token reads
// 1 + (longest prefix of scores >= threshold) slices, capped, written to its slice count.
// Grid: (1, n); dispatched (non-empty) only under a routed plan.
#include "common.glsl"

#define MAX_ROUTER_HIDDEN 256

layout(push_constant) uniform Push {
  uint x;            // act offset of the group's input [n][in]
  uint in_;
  uint hidden;       // <= MAX_ROUTER_HIDDEN
  uint w1;           // word offsets of the f32 router weights: w1 [hidden][in], b1 [hidden],
  uint b1;           //   w2 [3][hidden + 1], b2 [3]
  uint w2;
  uint b2;
  uint count_index;  // layer * 4 + group
  uint planes;       // planes the group's linears hold
} pc;

shared float hidden_units[MAX_ROUTER_HIDDEN];

void main() {
  const uint t = gl_WorkGroupID.y, tid = gl_LocalInvocationID.x;
  const uint xt = pc.x + t * pc.in_;
  float sq = 0.0;
  for (uint i = tid; i < pc.in_; i += WG) sq += act[xt + i] * act[xt + i];
  const float mean_square = workgroup_sum(sq) / float(pc.in_);
  const float inv_rms = 1.0 / sqrt(mean_square + 1e-20);
  for (uint j = 0u; j < pc.hidden; ++j) {
    float d = 0.0;
    for (uint i = tid; i < pc.in_; i += WG) d += f32_weight(pc.w1 + j * pc.in_ + i) * act[xt + i];
    const float total = workgroup_sum(d);
    if (tid == 0u) hidden_units[j] = max(0.0, total * inv_rms + f32_weight(pc.b1 + j));
  }
  if (tid != 0u) return;
  const float energy = log(mean_square + 1e-20);
  const float threshold = uintBitsToFloat(io[io[IO_THRESHOLDS] + pc.count_index]) + uintBitsToFloat(io[IO_THRESHOLD_OFFSET]);
  uint k = 1u;
  for (uint e = 0u; e < 3u; ++e) {
    const uint w = pc.w2 + e * (pc.hidden + 1u);
    float score = 0.0;
    for (uint j = 0u; j < pc.hidden; ++j) score += f32_weight(w + j) * hidden_units[j];
    score += f32_weight(w + pc.hidden) * energy + f32_weight(pc.b2 + e);
    if (score < threshold) break;  // a prefix: the first miss ends it
    k = e + 2u;
  }
  k = min(k, min(io[IO_SLICE_CAP], pc.planes));
  io[io[IO_COUNTS] + t * io[IO_COUNTS_STRIDE] + pc.count_index] = k;
}
