// Rotary position embedding, rotate-half convention (Hugging Face Llama): for i < head_dim / 2,
// (x_i, x_{i+d/2}) is rotated by the angle position * inv_freq_i.
#pragma once

#include <cstdint>
#include <vector>

#include "format/model_config.h"

namespace mobiq::math {

class Rope {
 public:
  // Applies rope_theta and rope_scaling (linear: positions slowed by factor; llama3: per-frequency
  // blend of scaled and unscaled frequencies by wavelength).
  explicit Rope(const ModelConfig& config);

  // Rotates n_heads vectors of head_dim floats in place: x [n_heads][head_dim].
  void apply(float* x, int n_heads, int32_t position) const;
  // The same in two steps, so one token's angles serve its q and k heads in every layer: cos and sin
  // [head_dim / 2] of position * inv_freq_i, then the rotation by them.
  void angles(int32_t position, float* cos, float* sin) const;
  void rotate(float* x, int n_heads, const float* cos, const float* sin) const;

  const std::vector<float>& inv_freq() const { return inv_freq_; }

 private:
  int head_dim_;
  std::vector<float> inv_freq_;  // [head_dim / 2]
};

}  // namespace mobiq::math
