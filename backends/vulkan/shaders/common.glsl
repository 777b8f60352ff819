// Shared by every shader of the Vulkan backend: the one descriptor set layout (every pipeline binds
// the same buffers; each dispatch finds its tensors through word offsets in push constants) and the
// header of the host-written I/O buffer. Workgroups are 64 invocations and reduce through shared
// memory, or, built with MOBIQ_SUBGROUPS for devices that have them, through subgroup operations
// first; nothing assumes a subgroup size.
#extension GL_GOOGLE_include_directive : require
#ifdef MOBIQ_SUBGROUPS
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
#ifdef MOBIQ_KV_F16
#extension GL_EXT_shader_16bit_storage : require
#endif

#define WG 64
layout(local_size_x = WG) in;

// Some buffers are also declared as vectors of four (Weights4, Activations4, KvCache4), read so where
// a tensor's rows are aligned: CPU drivers (lavapipe) pay per load instruction, GPUs get
// wider loads.
// Dense tensors (f32 / f16 / bf16 as stored), f16 scales and zeros of sliced linears, norms, router
// weights and the rope table as f32.
layout(std430, set = 0, binding = 0) readonly buffer Weights { uint weights[]; };
layout(std430, set = 0, binding = 0) readonly buffer Weights4 { uvec4 weights4[]; };
// Slice plane p of every sliced linear: binding 1 + p.
layout(std430, set = 0, binding = 1) readonly buffer Plane0 { uint plane0[]; };
layout(std430, set = 0, binding = 2) readonly buffer Plane1 { uint plane1[]; };
layout(std430, set = 0, binding = 3) readonly buffer Plane2 { uint plane2[]; };
layout(std430, set = 0, binding = 4) readonly buffer Plane3 { uint plane3[]; };
// Activations of up to max_batch tokens.
layout(std430, set = 0, binding = 5) buffer Activations { float act[]; };
layout(std430, set = 0, binding = 5) buffer Activations4 { vec4 act4[]; };
// KV cache: [layers][2][context][kv_dim], f32, or f16 when built with MOBIQ_KV_F16 (devices with
// 16-bit storage): half the memory and the attention's reads. KV_STORE converts a value to it.
#ifdef MOBIQ_KV_F16
layout(std430, set = 0, binding = 6) buffer KvCache { float16_t kv[]; };
layout(std430, set = 0, binding = 6) buffer KvCache4 { f16vec4 kv4[]; };
#define KV_STORE(x) float16_t(x)
#else
layout(std430, set = 0, binding = 6) buffer KvCache { float kv[]; };
layout(std430, set = 0, binding = 6) buffer KvCache4 { vec4 kv4[]; };
#define KV_STORE(x) (x)
#endif
// Host-visible: the header below, thresholds, tokens, per-token slice counts.
layout(std430, set = 0, binding = 7) buffer Io { uint io[]; };
// Host-visible: logits of the rows the output head computes.
layout(std430, set = 0, binding = 8) buffer Logits { float logits[]; };

// The I/O buffer's header (io[0..15]); kept in step with backends/vulkan/io_layout.h.
#define IO_TOKENS 0        // tokens this pass (n)
#define IO_START 1         // position of the first token
#define IO_HEAD_FIRST 2    // first token whose logits the output head computes
#define IO_SLICE_CAP 3     // cap on routed slice counts: min(plan cap, resident planes)
#define IO_THRESHOLD_OFFSET 4  // f32 bits, added to every routed threshold
#define IO_ARGMAX 5        // written by argmax.comp
#define IO_TOKEN_IDS 6     // word offset of the token ids [max_batch]
#define IO_COUNTS 7        // word offset of the slice counts [max_batch][layers * 4]
#define IO_THRESHOLDS 8    // word offset of the thresholds [layers * 4] (f32 bits)
#define IO_COUNTS_STRIDE 9 // layers * 4

#define DTYPE_F32 0
#define DTYPE_F16 1
#define DTYPE_BF16 2

// Element e of a dense tensor starting at word `base` of `weights`, stored as `dtype`.
float read_weight(uint base, uint dtype, uint e) {
  if (dtype == DTYPE_F32) return uintBitsToFloat(weights[base + e]);
  const uint word = weights[base + e / 2];
  const uint half_bits = (e & 1u) == 0u ? (word & 0xffffu) : (word >> 16);
  if (dtype == DTYPE_F16) return unpackHalf2x16(half_bits).x;
  return uintBitsToFloat(half_bits << 16);
}

float f32_weight(uint word) { return uintBitsToFloat(weights[word]); }

shared float reduce_scratch[WG];

#ifdef MOBIQ_SUBGROUPS
// Each subgroup reduces its values, then subgroup 0 the subgroups' results: any subgroup size, any
// number of subgroups. Every invocation gets the result. Contains barriers: call from uniform
// control flow.
float workgroup_sum(float v) {
  const float part = subgroupAdd(v);
  barrier();
  if (subgroupElect()) reduce_scratch[gl_SubgroupID] = part;
  barrier();
  if (gl_SubgroupID == 0u) {
    float x = 0.0;
    for (uint i = gl_SubgroupInvocationID; i < gl_NumSubgroups; i += gl_SubgroupSize) x += reduce_scratch[i];
    x = subgroupAdd(x);
    if (subgroupElect()) reduce_scratch[WG - 1] = x;
  }
  barrier();
  const float total = reduce_scratch[WG - 1];
  barrier();
  return total;
}

float workgroup_max(float v) {
  const float part = subgroupMax(v);
  barrier();
  if (subgroupElect()) reduce_scratch[gl_SubgroupID] = part;
  barrier();
  if (gl_SubgroupID == 0u) {
    float x = -1.0 / 0.0;
    for (uint i = gl_SubgroupInvocationID; i < gl_NumSubgroups; i += gl_SubgroupSize) x = max(x, reduce_scratch[i]);
    x = subgroupMax(x);
    if (subgroupElect()) reduce_scratch[WG - 1] = x;
  }
  barrier();
  const float m = reduce_scratch[WG - 1];
  barrier();
  return m;
}
#else
// Sum of v over the workgroup; every invocation gets the total. Contains barriers: call from
// uniform control flow.
float workgroup_sum(float v) {
  const uint tid = gl_LocalInvocationID.x;
  barrier();
  reduce_scratch[tid] = v;
  barrier();
  for (uint stride = WG / 2; stride > 0; stride >>= 1) {
    if (tid < stride) reduce_scratch[tid] += reduce_scratch[tid + stride];
    barrier();
  }
  const float total = reduce_scratch[0];
  barrier();
  return total;
}

float workgroup_max(float v) {
  const uint tid = gl_LocalInvocationID.x;
  barrier();
  reduce_scratch[tid] = v;
  barrier();
  for (uint stride = WG / 2; stride > 0; stride >>= 1) {
    if (tid < stride) reduce_scratch[tid] = max(reduce_scratch[tid], reduce_scratch[tid + stride]);
    barrier();
  }
  const float m = reduce_scratch[0];
  barrier();
  return m;
}
#endif
