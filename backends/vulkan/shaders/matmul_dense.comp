#version 450
// y[t][r] = sum_i W[r][i] x[t][i] for a dense W [out][in] in f32, f16 or bf16. Writes activations,
// or the logits buffer (the output head: rows io[IO_HEAD_FIRST].. of x, compacted). Each invocation
// computes ROWS rows for TILE tokens, so each weight it reads serves TILE tokens and each x value
// ROWS rows. Grid: (ceil(out / ROWS_PER_WG), ceil(tokens / TILE)).
#include "common.glsl"
#include "row_reduce.glsl"

layout(push_constant) uniform Push {
  uint w;          // word offset of W in `weights`
  uint dtype;
  uint in_;
  uint out_;
  uint x;          // act offset of x [tokens][in]
  uint y;          // offset of y [tokens][out] in act, or in logits with to_logits
  uint to_logits;
} pc;

// Weights r, c..c+7 (c % 8 == 0, W's rows 16-byte aligned).
void weights8(uint r, uint c, out vec4 lo, out vec4 hi) {
  if (pc.dtype == DTYPE_F32) {
    const uint at = (pc.w + r * pc.in_ + c) / 4u;
    lo = uintBitsToFloat(weights4[at]);
    hi = uintBitsToFloat(weights4[at + 1u]);
    return;
  }
  const uvec4 h = weights4[(pc.w + (r * pc.in_ + c) / 2u) / 4u];
  if (pc.dtype == DTYPE_F16) {
    lo = vec4(unpackHalf2x16(h.x), unpackHalf2x16(h.y));
    hi = vec4(unpackHalf2x16(h.z), unpackHalf2x16(h.w));
  } else {
    lo = uintBitsToFloat(uvec4(h.x << 16, h.x & 0xffff0000u, h.y << 16, h.y & 0xffff0000u));
    hi = uintBitsToFloat(uvec4(h.z << 16, h.z & 0xffff0000u, h.w << 16, h.w & 0xffff0000u));
  }
}

void main() {
  const uint tokens = pc.to_logits != 0u ? io[IO_TOKENS] - io[IO_HEAD_FIRST] : io[IO_TOKENS];
  const uint t0 = gl_WorkGroupID.y * TILE;
  const uint first_row = gl_WorkGroupID.x * ROWS_PER_WG + gl_LocalInvocationID.x / LANES * ROWS;
  const uint lane = gl_LocalInvocationID.x % LANES;
  // Rows past `out` and tokens past the last repeat the last one (no branch around the loads);
  // only the real ones are written.
  uint row[ROWS];
  for (uint rr = 0u; rr < ROWS; ++rr) row[rr] = min(first_row + rr, pc.out_ - 1u);
  uint x_row[TILE];
  for (uint j = 0u; j < TILE; ++j) x_row[j] = pc.x + min(t0 + j, tokens - 1u) * pc.in_;
  float acc[ROWS * TILE];
  for (uint a = 0u; a < ROWS * TILE; ++a) acc[a] = 0.0;

  if (pc.in_ % 8u == 0u && pc.x % 4u == 0u && pc.w % 4u == 0u) {
    // Eight columns per step, 16-byte loads.
    for (uint c = 8u * lane; c < pc.in_; c += 8u * LANES) {
      vec4 x_lo[TILE], x_hi[TILE];
      for (uint j = 0u; j < TILE; ++j) {
        x_lo[j] = act4[(x_row[j] + c) / 4u];
        x_hi[j] = act4[(x_row[j] + c) / 4u + 1u];
      }
      for (uint rr = 0u; rr < ROWS; ++rr) {
        vec4 w_lo, w_hi;
        weights8(row[rr], c, w_lo, w_hi);
        for (uint j = 0u; j < TILE; ++j) acc[rr * TILE + j] += dot(w_lo, x_lo[j]) + dot(w_hi, x_hi[j]);
      }
    }
  } else {
    for (uint i = lane; i < pc.in_; i += LANES)
      for (uint rr = 0u; rr < ROWS; ++rr) {
        const float w = read_weight(pc.w, pc.dtype, row[rr] * pc.in_ + i);
        for (uint j = 0u; j < TILE; ++j) acc[rr * TILE + j] += w * act[x_row[j] + i];
      }
  }

  for (uint rr = 0u; rr < ROWS; ++rr)
    for (uint j = 0u; j < TILE; ++j) {
      const float total = row_sum(acc[rr * TILE + j]);
      const uint r = first_row + rr, t = t0 + j;
      if (lane == 0u && r < pc.out_ && t < tokens) {
        if (pc.to_logits != 0u) logits[pc.y + t * pc.out_ + r] = total;
        else act[pc.y + t * pc.out_ + r] = total;
      }
    }
}
