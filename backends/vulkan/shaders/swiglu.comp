#version 450
// gate[t] = silu(gate[t]) * up[t]. Grid: (ceil(dim / 64), n).
#include "common.glsl"

layout(push_constant) uniform Push {
  uint gate;  // act offset of gate [n][dim]
  uint up;    // act offset of up [n][dim]
  uint dim;
} pc;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= pc.dim) return;
  const uint e = gl_WorkGroupID.y * pc.dim + i;
  const float g = act[pc.gate + e];
  act[pc.gate + e] = g / (1.0 + exp(-g)) * act[pc.up + e];
}
