#version 450
// Rotates token t's query and key heads by position start + t (rotate-half convention, angles from the
// host-computed table the CPU's Rope uses), then stores its key and value in the layer's cache.
// Grid: (1, n).
#include "common.glsl"

layout(push_constant) uniform Push {
  uint q;           // act offset of q [n][n_heads][head_dim]
  uint k;           // act offset of k [n][n_kv_heads][head_dim]
  uint v;           // act offset of v [n][n_kv_heads][head_dim]
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint k_cache;     // kv offset of this layer's keys [context][kv_dim]
  uint v_cache;     // kv offset of this layer's values [context][kv_dim]
  uint rope;        // act offset of the table [context][head_dim / 2][cos, sin]
} pc;

void main() {
  const uint t = gl_WorkGroupID.y;
  const uint position = io[IO_START] + t;
  const uint half_dim = pc.head_dim / 2u;
  const uint q_dim = pc.n_heads * pc.head_dim, kv_dim = pc.n_kv_heads * pc.head_dim;
  for (uint item = gl_LocalInvocationID.x; item < (pc.n_heads + pc.n_kv_heads) * half_dim; item += WG) {
    const uint head = item / half_dim, i = item % half_dim;
    const uint base = head < pc.n_heads ? pc.q + t * q_dim + head * pc.head_dim
                                        : pc.k + t * kv_dim + (head - pc.n_heads) * pc.head_dim;
    const uint angle = pc.rope + (position * half_dim + i) * 2u;
    const float c = act[angle], s = act[angle + 1u];
    const float a = act[base + i], b = act[base + i + half_dim];
    act[base + i] = a * c - b * s;
    act[base + i + half_dim] = b * c + a * s;
  }
  barrier();
  for (uint i = gl_LocalInvocationID.x; i < kv_dim; i += WG) {
    kv[pc.k_cache + position * kv_dim + i] = KV_STORE(act[pc.k + t * kv_dim + i]);
    kv[pc.v_cache + position * kv_dim + i] = KV_STORE(act[pc.v + t * kv_dim + i]);
  }
}
