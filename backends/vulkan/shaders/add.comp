#version 450
// x[t] += delta[t]. Grid: (ceil(dim / 64), n).
#include "common.glsl"

layout(push_constant) uniform Push {
  uint x;      // act offset of x [n][dim]
  uint delta;  // act offset of delta [n][dim]
  uint dim;
} pc;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= pc.dim) return;
  const uint e = gl_WorkGroupID.y * pc.dim + i;
  act[pc.x + e] += act[pc.delta + e];
}
