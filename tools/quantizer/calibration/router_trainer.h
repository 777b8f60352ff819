// Trains one router (format/model_weights.h has its formula) to predict, for each token, the
// log utility of each residual slice: how much the group's output error falls per bit spent on that
// slice (the group's sensitivity, a constant per group, is left to its thresholds). Regression on
// samples, Adam on the mean squared error.
#pragma once

#include <cstdint>
#include <vector>

#include "format/mbq_writer.h"

namespace mobiq {

struct RouterTrainingOptions {
  int32_t hidden = 8;
  int32_t epochs = 40;
  int32_t batch = 128;
  float learning_rate = 3e-3f;
  uint64_t seed = 0;
};

struct RouterFit {
  MbqRouter router;
  double r2 = 0.0;  // fraction of the targets' variance explained, on the training samples
};

// x: [n][dim] token activations; targets: [n][kResidualPlanes] log utilities.
RouterFit train_router(const float* x, const float* targets, int64_t n, int32_t dim, const RouterTrainingOptions& options);

// Router scores for samples, as the runtime computes them (from the f16-rounded weights): [n][3].
std::vector<float> router_scores_of(const MbqRouter& router, const float* x, int64_t n);

}  // namespace mobiq
