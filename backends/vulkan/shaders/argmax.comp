#version 450
// io[IO_ARGMAX] = the index of the largest of logits[0, vocab) (the first one on ties, like
// std::max_element). Grid: (1, 1).
#include "common.glsl"

layout(push_constant) uniform Push {
  uint vocab;
} pc;

shared float best_value[WG];
shared uint best_index[WG];

void main() {
  const uint tid = gl_LocalInvocationID.x;
  float value = -1.0 / 0.0;
  uint index = 0xffffffffu;
  for (uint i = tid; i < pc.vocab; i += WG)
    if (logits[i] > value || index == 0xffffffffu) {
      value = logits[i];
      index = i;
    }
  best_value[tid] = value;
  best_index[tid] = index;
  barrier();
  for (uint stride = WG / 2; stride > 0; stride >>= 1) {
    if (tid < stride) {
      const float v = best_value[tid + stride];
      const uint i = best_index[tid + stride];
      if (i != 0xffffffffu && (best_index[tid] == 0xffffffffu || v > best_value[tid] ||
                               (v == best_value[tid] && i < best_index[tid]))) {
        best_value[tid] = v;
        best_index[tid] = i;
      }
    }
    barrier();
  }
  if (tid == 0u) io[IO_ARGMAX] = best_index[0];
}
