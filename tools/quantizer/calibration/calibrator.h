// `mobiq quantize --calib`: one calibration producing one elastic file. From an unquantized Hugging
// Face checkpoint and a calibration text it
//  1. runs the unquantized model over the text's windows, collecting per layer and group of linears
//     sharing an input H = sum x x^T and a sample of token activations (activation_collector.h), a
//     range of layers per pass so the statistics stay within a memory budget;
//  2. per layer of the range: quantizes its linears into calibrated nested slices
//     (calibrated_linear.h), measures each group's output error per sampled token and slice count,
//     and trains the group's router to predict, per token, the log of each residual slice's output
//     error reduction per bit (router_trainer.h); then frees the layer's statistics and samples, so
//     memory holds one range's statistics, never the whole model's;
//  3. measures each group's sensitivity: the KL divergence from the full model per unit of output
//     error when that group alone drops to its base slice (plan_divergence.h);
//  4. sets, for every budget from 2.0 to 8.0 bits in steps of 0.25, a threshold per router (one level
//     of utility per bit across the model, the sensitivities as per-group offsets) so the average
//     (routers' own cost included) meets the budget on the calibration samples, plus a fixed per-layer
//     allocation for the same budget (budget_planner.h);
//  5. writes the .mbq with routers, budget table and a calibration record.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "runtime/core/status.h"
#include "tools/quantizer/calibration/calibrated_linear.h"

namespace mobiq {

struct CalibrationProgress {
  std::string stage;  // "activations", "layers" (slices and routers), "sensitivity", "writing"
  int64_t done = 0;
  int64_t total = 0;
  double seconds = 0.0;  // since calibration started
};

struct CalibrateOptions {
  std::string input_dir;        // Hugging Face checkpoint
  std::string calib_path;       // calibration text (documents separated by a line <|doc|>)
  std::string output_path;
  bool dense_q8 = false;        // the embedding and output head stored 8-bit (ConvertOptions::dense_q8)
  int32_t windows = 128;        // windows of window_tokens tokens (fewer if the text is shorter)
  int32_t window_tokens = 512;
  int32_t samples_per_window = 64;     // token activations kept per window for the routers
  int32_t sensitivity_windows = 4;     // windows each group's sensitivity is measured on
  int32_t router_hidden = 1;           // the input energy carries most of the signal; see README
  int32_t router_epochs = 40;
  double token_weight = 1.0;           // 0: routers see only each group's mean utility; 1: every token's own
  uint64_t seed = 0;
  int32_t threads = 0;
  // Activation statistics (H matrices, 8 bytes * in^2 per linear input, and the sampled activations,
  // 4 bytes * in per sample) are gathered for as many layers at a time as fit this budget; a large
  // model takes several passes over the text.
  int64_t statistics_budget_bytes = int64_t{4} << 30;
  CalibratedLinearOptions linear;
  std::function<void(const CalibrationProgress&)> progress;
};

Status calibrate_hf_to_mbq(const CalibrateOptions& options);

}  // namespace mobiq
