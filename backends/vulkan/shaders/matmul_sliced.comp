#version 450
// y[t][r] = sum_i W_k[r][i] x[t][i] for a sliced W [out][in], token t reading planes 0..k_t-1 only,
// k_t from the slice counts the host or router.comp wrote (format/SLICE_LAYOUT.md):
//   w_k = s * ((c0 - z) + sum_{p=1}^{k-1} (c_p - 1.5) / 4^p)
//       = s * (code_k - z - residual_zero_k),  code_k = sum_{p<k} c_p / 4^p.
// Each invocation computes ROWS rows for TILE tokens: it decodes a row's codes once, for the planes
// the tile's largest count needs, and applies to each token the code of the token's own count.
// Grid: (ceil(out / ROWS_PER_WG), ceil(n / TILE)).
#include "common.glsl"
#include "row_reduce.glsl"

layout(push_constant) uniform Push {
  uint plane[4];    // word offset of this linear's plane p in the plane-p buffer, p = 0..3
  uint scales;      // word offset of the f16 scales [out][groups] in `weights`
  uint zeros;       // word offset of the f16 zero points [out][groups]
  uint in_;
  uint out_;
  uint x;           // act offset of x [n][in]
  uint y;           // act offset of y [n][out]
  uint count_index; // layer * 4 + group: which slice count of the token applies
} pc;

// Word `w` of plane p, counted from the linear's first word in that plane.
uint plane_word(uint p, uint w) {
  if (p == 0u) return plane0[pc.plane[0] + w];
  if (p == 1u) return plane1[pc.plane[1] + w];
  if (p == 2u) return plane2[pc.plane[2] + w];
  return plane3[pc.plane[3] + w];
}

// The codes of columns 4q..4q+3 of a plane word (2 bits each, column 0 in the low bits).
vec4 codes4(uint word, uint q) {
  return vec4((uvec4(word) >> uvec4(8u * q, 8u * q + 2u, 8u * q + 4u, 8u * q + 6u)) & 3u);
}

// code_k from the four levels code_1..code_4 (a select, not a branch).
vec4 pick(uint k, vec4 code1, vec4 code2, vec4 code3, vec4 code4) {
  return mix(mix(code1, code2, bvec4(k == 2u)), mix(code3, code4, bvec4(k == 4u)), bvec4(k >= 3u));
}

// The code levels of four columns whose plane-p codes are in byte `b` of word[p] (p < k_max).
void levels(uint words[4], uint b, uint k_max, out vec4 level[4]) {
  level[0] = codes4(words[0], b);
  for (uint p = 1u; p < 4u; ++p)
    level[p] = p < k_max ? level[p - 1u] + codes4(words[p], b) / float(1u << (2u * p)) : level[p - 1u];
}

void main() {
  const uint n = io[IO_TOKENS];
  const uint t0 = gl_WorkGroupID.y * TILE;
  const uint first_row = gl_WorkGroupID.x * ROWS_PER_WG + gl_LocalInvocationID.x / LANES * ROWS;
  const uint lane = gl_LocalInvocationID.x % LANES;
  const uint groups = (pc.in_ + 127u) / 128u;
  // Rows past `out` and tokens past the last repeat the last one (no branch around the loads);
  // only the real ones are written.
  uint row[ROWS];
  for (uint rr = 0u; rr < ROWS; ++rr) row[rr] = min(first_row + rr, pc.out_ - 1u);
  uint x_row[TILE], k[TILE];
  float residual_zero[TILE];  // 1.5 * sum_{1<=p<k} 4^-p
  uint k_max = 1u;
  for (uint j = 0u; j < TILE; ++j) {
    const uint t = min(t0 + j, n - 1u);
    x_row[j] = pc.x + t * pc.in_;
    k[j] = io[io[IO_COUNTS] + t * io[IO_COUNTS_STRIDE] + pc.count_index];
    k_max = max(k_max, k[j]);
    residual_zero[j] = 0.0;
    for (uint p = 1u; p < k[j]; ++p) residual_zero[j] += 1.5 / float(1u << (2u * p));
  }
  float acc[ROWS * TILE];
  for (uint a = 0u; a < ROWS * TILE; ++a) acc[a] = 0.0;

  if (pc.in_ % 16u == 0u && pc.x % 4u == 0u) {
    // 16 columns per step: one word of each plane per row, four 16-byte loads of x per token.
    const uint row_words = pc.in_ / 16u;
    for (uint chunk = lane; chunk < row_words; chunk += LANES) {
      vec4 xv[TILE][4];
      float x_sum[TILE];
      for (uint j = 0u; j < TILE; ++j) {
        for (uint q = 0u; q < 4u; ++q) xv[j][q] = act4[(x_row[j] + 16u * chunk) / 4u + q];
        x_sum[j] = dot(xv[j][0] + xv[j][1] + xv[j][2] + xv[j][3], vec4(1.0));
      }
      for (uint rr = 0u; rr < ROWS; ++rr) {
        const uint g = row[rr] * groups + chunk / 8u;
        const float s = read_weight(pc.scales, DTYPE_F16, g), z = read_weight(pc.zeros, DTYPE_F16, g);
        uint words[4];
        for (uint p = 0u; p < 4u; ++p) words[p] = p < k_max ? plane_word(p, row[rr] * row_words + chunk) : 0u;
        vec4 level[4][4];  // [byte q][level]
        for (uint q = 0u; q < 4u; ++q) levels(words, q, k_max, level[q]);
        for (uint j = 0u; j < TILE; ++j) {
          float d = 0.0;
          for (uint q = 0u; q < 4u; ++q) d += dot(pick(k[j], level[q][0], level[q][1], level[q][2], level[q][3]), xv[j][q]);
          acc[rr * TILE + j] += s * (d - (z + residual_zero[j]) * x_sum[j]);
        }
      }
    }
  } else {
    // Any width: a byte (four columns) per step.
    const uint row_bytes = (pc.in_ + 3u) / 4u;
    for (uint b = lane; b < row_bytes; b += LANES) {
      const uint col = 4u * b;
      for (uint rr = 0u; rr < ROWS; ++rr) {
        const uint g = row[rr] * groups + b / 32u;
        const float s = read_weight(pc.scales, DTYPE_F16, g), z = read_weight(pc.zeros, DTYPE_F16, g);
        const uint byte_at = row[rr] * row_bytes + b;
        uint words[4];
        for (uint p = 0u; p < 4u; ++p) words[p] = p < k_max ? plane_word(p, byte_at / 4u) : 0u;
        vec4 level[4];
        levels(words, byte_at % 4u, k_max, level);
        for (uint j = 0u; j < TILE; ++j) {
          const uint xj = x_row[j] + col;
          const vec4 xv = vec4(act[xj], col + 1u < pc.in_ ? act[xj + 1u] : 0.0, col + 2u < pc.in_ ? act[xj + 2u] : 0.0,
                               col + 3u < pc.in_ ? act[xj + 3u] : 0.0);
          const vec4 code = pick(k[j], level[0], level[1], level[2], level[3]);
          acc[rr * TILE + j] += s * (dot(code, xv) - (z + residual_zero[j]) * dot(xv, vec4(1.0)));
        }
      }
    }
  }

  for (uint rr = 0u; rr < ROWS; ++rr)
    for (uint j = 0u; j < TILE; ++j) {
      const float total = row_sum(acc[rr * TILE + j]);
      const uint r = first_row + rr, t = t0 + j;
      if (lane == 0u && r < pc.out_ && t < n) act[pc.y + t * pc.out_ + r] = total;
    }
}
