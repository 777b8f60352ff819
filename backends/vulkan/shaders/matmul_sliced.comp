#version 450
// y[t][r] = sum_i W_k[r][i] x[t][i] for a sliced W [out][in], token t reading planes 0..k_t-1 only,
// k_t from the slice counts the host or router.comp wrote (format/SLICE_LAYOUT.md):
//   w_k = s * ((c0 - z) + sum_{p=1}^{k-1} (c_p - 1.5) / 4^p)
// Grid: (ceil(out / 4), n); 4 rows per workgroup, 16 lanes per row striding over the row's bytes.
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

// Byte `b` of plane p, counted from the linear's first byte in that plane.
uint plane_byte(uint p, uint b) {
  uint word;
  if (p == 0u) word = plane0[pc.plane[0] + b / 4u];
  else if (p == 1u) word = plane1[pc.plane[1] + b / 4u];
  else if (p == 2u) word = plane2[pc.plane[2] + b / 4u];
  else word = plane3[pc.plane[3] + b / 4u];
  return (word >> ((b % 4u) * 8u)) & 0xffu;
}

void main() {
  const uint t = gl_WorkGroupID.y;
  const uint r = gl_WorkGroupID.x * ROWS_PER_WG + gl_LocalInvocationID.x / LANES;
  const uint lane = gl_LocalInvocationID.x % LANES;
  const uint k = io[io[IO_COUNTS] + t * io[IO_COUNTS_STRIDE] + pc.count_index];
  const uint row_bytes = (pc.in_ + 3u) / 4u;
  const uint groups = (pc.in_ + 127u) / 128u;
  float residual_zero = 0.0;  // 1.5 * sum_{1<=p<k} 4^-p
  for (uint p = 1u; p < k; ++p) residual_zero += 1.5 / float(1u << (2u * p));
  float acc = 0.0;
  if (r < pc.out_) {
    const uint xt = pc.x + t * pc.in_;
    for (uint b = lane; b < row_bytes; b += LANES) {
      const uint g = b / 32u;
      const float s = read_weight(pc.scales, DTYPE_F16, r * groups + g);
      const float z = read_weight(pc.zeros, DTYPE_F16, r * groups + g) + residual_zero;
      vec4 code = vec4(0.0);  // sum_p c_p 4^-p for the byte's four columns
      for (uint p = 0u; p < 4u; ++p) {
        if (p >= k) break;
        const uint byte = plane_byte(p, r * row_bytes + b);
        code += vec4(byte & 3u, (byte >> 2) & 3u, (byte >> 4) & 3u, byte >> 6) / float(1u << (2u * p));
      }
      const uint col = 4u * b;
      const vec4 xv = vec4(act[xt + col], col + 1u < pc.in_ ? act[xt + col + 1u] : 0.0,
                           col + 2u < pc.in_ ? act[xt + col + 2u] : 0.0, col + 3u < pc.in_ ? act[xt + col + 3u] : 0.0);
      acc += s * (dot(code, xv) - z * (xv.x + xv.y + xv.z + xv.w));
    }
  }
  const float total = row_sum(acc);
  if (lane == 0u && r < pc.out_) act[pc.y + t * pc.out_ + r] = total;
}
