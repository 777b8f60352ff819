#version 450
// Causal attention of token t's query head h over the cached keys 0..start+t (GQA / MQA: kv head
// h / (n_heads / n_kv_heads)), softmax computed online over chunks of 64 keys so any context fits.
// Scores: invocation i scores key i of a chunk. Values: invocation (quad, phase) sums dims
// 4 quad..4 quad+3 over the chunk's keys phase, phase + phases, ...; the phases are added at the end.
// Keys and values are read four at a time (head_dim % 4 == 0, <= 256). Grid: (n_heads, n).
#include "common.glsl"

#define MAX_QUADS 64  // head_dim 256

layout(push_constant) uniform Push {
  uint q;           // act offset of q [n][n_heads][head_dim]
  uint out_;        // act offset of out [n][n_heads][head_dim]
  uint k_cache;     // kv offset of this layer's keys [context][kv_dim]
  uint v_cache;     // kv offset of this layer's values [context][kv_dim]
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
} pc;

shared vec4 query[MAX_QUADS];
shared float weight[WG];  // one chunk's softmax numerators
shared vec4 partial[WG];  // the phases' value sums

void main() {
  const uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y, tid = gl_LocalInvocationID.x;
  const uint quads = pc.head_dim / 4u, kv_quads = pc.n_kv_heads * quads;
  const uint kv_head = h / (pc.n_heads / pc.n_kv_heads);
  const uint n_keys = io[IO_START] + t + 1u;
  const float scale = 1.0 / sqrt(float(pc.head_dim));
  const uint phases = WG / quads;
  const uint quad = tid % quads, phase = tid / quads;  // phase >= phases: no values to sum
  const uint k_at = pc.k_cache / 4u + kv_head * quads, v_at = pc.v_cache / 4u + kv_head * quads + quad;
  if (tid < quads) query[tid] = act4[(pc.q + (t * pc.n_heads + h) * pc.head_dim) / 4u + tid];
  barrier();

  float running_max = -1.0 / 0.0, running_sum = 0.0;
  vec4 acc = vec4(0.0);
  for (uint chunk = 0u; chunk < n_keys; chunk += WG) {
    const uint j = chunk + tid;
    float score = -1.0 / 0.0;
    if (j < n_keys) {
      const uint key = k_at + j * kv_quads;
      float s = 0.0;
      for (uint c = 0u; c < quads; ++c) s += dot(query[c], vec4(kv4[key + c]));
      score = s * scale;
    }
    const float new_max = max(running_max, workgroup_max(score));
    const float correction = exp(running_max - new_max);
    const float p = j < n_keys ? exp(score - new_max) : 0.0;
    weight[tid] = p;
    running_sum = running_sum * correction + workgroup_sum(p);  // workgroup_sum's barriers publish weight[]
    running_max = new_max;
    const uint keys_here = min(uint(WG), n_keys - chunk);
    acc *= correction;
    if (phase < phases)
      for (uint jj = phase; jj < keys_here; jj += phases) acc += weight[jj] * vec4(kv4[v_at + (chunk + jj) * kv_quads]);
    barrier();  // weight[] is rewritten by the next chunk
  }
  partial[tid] = acc;
  barrier();
  if (tid < quads) {
    vec4 total = vec4(0.0);
    for (uint ph = 0u; ph < phases; ++ph) total += partial[ph * quads + tid];
    act4[(pc.out_ + (t * pc.n_heads + h) * pc.head_dim) / 4u + tid] = total / running_sum;
  }
}
