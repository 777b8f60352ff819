// A CPU-backend extension: sees the input shared by each group of linears during a forward pass.
// Calibration reads activations through it (tools/quantizer/calibration/activation_collector.h).
#pragma once

#include <cstdint>

#include "format/model_weights.h"

namespace mobiq::cpu {

class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  // x: [n][dim], the tokens of this forward pass in order.
  virtual void observe(int layer, LinearGroup group, const float* x, int64_t n, int64_t dim) = 0;
};

}  // namespace mobiq::cpu
