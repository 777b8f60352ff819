#version 450
// Causal attention of token t's query head h over the cached keys 0..start+t (GQA / MQA: kv head
// h / (n_heads / n_kv_heads)), softmax computed online over chunks of 64 keys so any context fits.
// Grid: (n_heads, n).
#include "common.glsl"

#define MAX_HEAD_DIM 256
#define DIMS_PER_LANE (MAX_HEAD_DIM / WG)

layout(push_constant) uniform Push {
  uint q;           // act offset of q [n][n_heads][head_dim]
  uint out_;        // act offset of out [n][n_heads][head_dim]
  uint k_cache;     // kv offset of this layer's keys [context][kv_dim]
  uint v_cache;     // kv offset of this layer's values [context][kv_dim]
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
} pc;

shared float query[MAX_HEAD_DIM];
shared float weight[WG];  // one chunk's softmax numerators

void main() {
  const uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y, tid = gl_LocalInvocationID.x;
  const uint hd = pc.head_dim, kv_dim = pc.n_kv_heads * hd;
  const uint kv_head = h / (pc.n_heads / pc.n_kv_heads);
  const uint n_keys = io[IO_START] + t + 1u;
  const float scale = 1.0 / sqrt(float(hd));
  for (uint d = tid; d < hd; d += WG) query[d] = act[pc.q + (t * pc.n_heads + h) * hd + d];
  barrier();

  float running_max = -1.0 / 0.0, running_sum = 0.0;
  float acc[DIMS_PER_LANE];
  for (uint i = 0u; i < DIMS_PER_LANE; ++i) acc[i] = 0.0;
  for (uint chunk = 0u; chunk < n_keys; chunk += WG) {
    const uint j = chunk + tid;
    float score = -1.0 / 0.0;
    if (j < n_keys) {
      const uint key = pc.k_cache + j * kv_dim + kv_head * hd;
      float s = 0.0;
      for (uint d = 0u; d < hd; ++d) s += query[d] * kv[key + d];
      score = s * scale;
    }
    const float new_max = max(running_max, workgroup_max(score));
    const float correction = exp(running_max - new_max);
    const float p = j < n_keys ? exp(score - new_max) : 0.0;
    weight[tid] = p;
    running_sum = running_sum * correction + workgroup_sum(p);  // workgroup_sum's barriers publish weight[]
    running_max = new_max;
    const uint keys_here = min(uint(WG), n_keys - chunk);
    for (uint i = 0u; i < DIMS_PER_LANE; ++i) {
      const uint d = tid + i * WG;
      if (d >= hd) break;
      float a = acc[i] * correction;
      for (uint jj = 0u; jj < keys_here; ++jj) a += weight[jj] * kv[pc.v_cache + (chunk + jj) * kv_dim + kv_head * hd + d];
      acc[i] = a;
    }
    barrier();  // weight[] is rewritten by the next chunk
  }
  for (uint i = 0u; i < DIMS_PER_LANE; ++i) {
    const uint d = tid + i * WG;
    if (d < hd) act[pc.out_ + (t * pc.n_heads + h) * hd + d] = acc[i] / running_sum;
  }
}
