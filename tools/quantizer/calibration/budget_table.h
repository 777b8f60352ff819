// Budget tables: for every budget, router thresholds that meet it on the calibration samples, and a
// fixed per-layer allocation that meets it without routers. Slices go where their utility per bit is
// highest: a router's score plus its group's offset estimates the log of that utility, so one level
// T across the model becomes a threshold T - offset per router.
#pragma once

#include <cstdint>
#include <vector>

#include "format/mbq_writer.h"

namespace mobiq {

struct BudgetTableInput {
  int32_t n_layers = 0;
  std::vector<double> group_weights;     // [n_layers * kLinearGroups]: weights in each group's linears
  std::vector<double> mean_utility;      // [groups][kResidualPlanes]: mean loss reduction per bit of slice e+1
  std::vector<float> scores;             // [samples][groups][kResidualPlanes]: router scores
  std::vector<double> score_offsets;     // [groups] added to each group's scores; empty: none
  int64_t samples = 0;
  double router_bits = 0.0;              // bits per weight every token pays when the routers run
};

// Budgets from 2.0 to 8.0 in steps of 0.25.
std::vector<MbqBudgetEntry> make_budget_table(const BudgetTableInput& input);

// Average bits of a fixed allocation ([groups] slice counts).
double fixed_bits(const BudgetTableInput& input, const std::vector<uint8_t>& slices);
// Average bits on the samples with every router at the level `level` (routers counted).
double routed_bits(const BudgetTableInput& input, double level);

}  // namespace mobiq
