#include "runtime/math/rope.h"

#include <cmath>
#include <numbers>

namespace mobiq::math {

Rope::Rope(const ModelConfig& config) : head_dim_(config.head_dim), inv_freq_(config.head_dim / 2) {
  const RopeScaling& scaling = config.rope_scaling;
  for (int i = 0; i < head_dim_ / 2; ++i) {
    // f32 like the reference implementation, so angles agree to the last bit at long positions.
    float f = 1.0f / std::pow(config.rope_theta, static_cast<float>(2 * i) / static_cast<float>(head_dim_));
    if (scaling.type == RopeScalingType::kLinear) {
      f /= scaling.factor;
    } else if (scaling.type == RopeScalingType::kLlama3) {
      const float old_context = static_cast<float>(scaling.original_max_position);
      const float low_freq_wavelen = old_context / scaling.low_freq_factor;
      const float high_freq_wavelen = old_context / scaling.high_freq_factor;
      const float wavelen = 2.0f * std::numbers::pi_v<float> / f;
      if (wavelen > low_freq_wavelen) {
        f /= scaling.factor;  // long wavelengths: fully scaled
      } else if (wavelen >= high_freq_wavelen) {  // medium: blend
        const float smooth = (old_context / wavelen - scaling.low_freq_factor) /
                             (scaling.high_freq_factor - scaling.low_freq_factor);
        f = (1.0f - smooth) * f / scaling.factor + smooth * f;
      }
    }
    inv_freq_[i] = f;
  }
}

void Rope::apply(float* x, int n_heads, int32_t position) const {
  std::vector<float> cos(head_dim_ / 2), sin(head_dim_ / 2);
  angles(position, cos.data(), sin.data());
  rotate(x, n_heads, cos.data(), sin.data());
}

void Rope::angles(int32_t position, float* cos, float* sin) const {
  for (int i = 0; i < head_dim_ / 2; ++i) {
    const float angle = static_cast<float>(position) * inv_freq_[i];
    cos[i] = std::cos(angle);
    sin[i] = std::sin(angle);
  }
}

void Rope::rotate(float* x, int n_heads, const float* cos, const float* sin) const {
  const int half = head_dim_ / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim_;
    for (int i = 0; i < half; ++i) {
      const float a = v[i], b = v[i + half];
      v[i] = a * cos[i] - b * sin[i];
      v[i + half] = b * cos[i] + a * sin[i];
    }
  }
}

}  // namespace mobiq::math
