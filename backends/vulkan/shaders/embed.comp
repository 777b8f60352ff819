#version 450
// x[t][i] = embedding[token_t][i] as f32. Grid: (ceil(hidden / 64), n).
#include "common.glsl"

layout(push_constant) uniform Push {
  uint table;   // word offset of the embedding [vocab][hidden] in `weights`
  uint dtype;
  uint hidden;
  uint x;       // act offset of x [n][hidden]
} pc;

void main() {
  const uint t = gl_WorkGroupID.y;
  const uint i = gl_GlobalInvocationID.x;
  if (i >= pc.hidden) return;
  const uint token = io[io[IO_TOKEN_IDS] + t];
  act[pc.x + t * pc.hidden + i] = read_weight(pc.table, pc.dtype, token * pc.hidden + i);
}
