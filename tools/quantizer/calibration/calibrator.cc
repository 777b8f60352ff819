#include "tools/quantizer/calibration/calibrator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "runtime/core/half.h"
#include "runtime/core/output_path.h"
#include "runtime/core/text_file.h"
#include "runtime/core/unaligned.h"
#include "runtime/engine/perplexity.h"
#include "runtime/engine/precision.h"
#include "runtime/math/matmul.h"
#include "runtime/model/hf_checkpoint.h"
#include "runtime/model/model.h"
#include "tools/quantizer/calibration/activation_collector.h"
#include "tools/quantizer/calibration/budget_table.h"
#include "tools/quantizer/calibration/plan_divergence.h"
#include "tools/quantizer/calibration/router_trainer.h"
#include "tools/quantizer/hf_converter.h"

namespace mobiq {
namespace {

constexpr int kProjectionsPerLayer = 7;  // q, k, v, o, gate, up, down: the converter's linear order

struct Linear {
  LinearWeights LayerWeights::*member;
  LinearGroup group;
};
constexpr Linear kLinears[kProjectionsPerLayer] = {
    {&LayerWeights::q, LinearGroup::kQkv},      {&LayerWeights::k, LinearGroup::kQkv},
    {&LayerWeights::v, LinearGroup::kQkv},      {&LayerWeights::o, LinearGroup::kO},
    {&LayerWeights::gate, LinearGroup::kGateUp}, {&LayerWeights::up, LinearGroup::kGateUp},
    {&LayerWeights::down, LinearGroup::kDown}};

// What the later stages keep of a group of linears once its layer is quantized and its samples freed.
struct GroupCalibration {
  double weights = 0.0;        // weights in the group's linears
  std::vector<double> errors;  // [samples][k - 1]: sum over the linears of ||(W_k - W) x_t||^2
  std::vector<float> scores;   // [samples][kResidualPlanes]: its router's scores
};

class Clock {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

void report(const CalibrateOptions& o, const Clock& clock, const char* stage, int64_t done, int64_t total) {
  if (o.progress) o.progress({stage, done, total, clock.seconds()});
}

std::vector<float> to_f32(const DenseTensor& t) {
  std::vector<float> out(t.rows * t.cols);
  // Safetensors data may start at an odd offset of the mapped file: unaligned loads.
  for (size_t i = 0; i < out.size(); ++i) {
    const auto at = static_cast<int64_t>(i);
    out[i] = t.dtype == DType::kF32    ? load_unaligned<float>(t.data, at)
             : t.dtype == DType::kBF16 ? bf16_to_f32(load_unaligned<uint16_t>(t.data, at))
                                       : f16_to_f32(load_unaligned<uint16_t>(t.data, at));
  }
  return out;
}

// err[t * 4 + (k - 1)] = sum over the group's linears of ||(W_k - W) x_t||^2, for each sample x_t.
void group_errors(const std::vector<const float*>& originals, const std::vector<const NestedRtnLinear*>& quantized,
                  const float* samples, int64_t n, ThreadPool& pool, std::vector<double>& err) {
  err.assign(n * kMaxPlanes, 0.0);
  for (size_t l = 0; l < quantized.size(); ++l) {
    const NestedRtnLinear& q = *quantized[l];
    std::vector<float> diff(q.out * q.in), y(n * q.out);
    math::MatmulWorkspace workspace(pool.size(), q.in);
    for (int k = 1; k <= kMaxPlanes; ++k) {
      dequantize_sliced(q.view(), k, diff.data());
      for (int64_t i = 0; i < q.out * q.in; ++i) diff[i] -= originals[l][i];
      math::matmul_dense({DType::kF32, diff.data(), q.out, q.in}, samples, n, y.data(), pool, workspace);
      for (int64_t t = 0; t < n; ++t) {
        double s = 0.0;
        for (int64_t r = 0; r < q.out; ++r) s += static_cast<double>(y[t * q.out + r]) * y[t * q.out + r];
        err[t * kMaxPlanes + k - 1] += s;
      }
    }
  }
}

// Output error reduction per weight-bit of sample t's residual slice e: (err_e - err_{e+1}) / (2 * weights).
double utility(const GroupCalibration& group, int64_t t, int e) {
  return std::max(group.errors[t * kMaxPlanes + e] - group.errors[t * kMaxPlanes + e + 1], 0.0) /
         (kBitsPerSlice * group.weights);
}

// A router's targets ([samples][kResidualPlanes]): per token, the log of each slice's utility, centred
// on the log of the group's mean utility (the level a fixed allocation sees) with its spread across
// tokens scaled by token_weight: a token's output error says how much it moves the layer, not how much
// that moves the loss, so the per-token part may be trusted only partly.
std::vector<float> router_targets(const GroupCalibration& group, double token_weight) {
  const int64_t n = static_cast<int64_t>(group.errors.size()) / kMaxPlanes;
  std::vector<double> log_gain(n * kResidualPlanes);
  double mean[kResidualPlanes] = {}, mean_log[kResidualPlanes] = {};
  for (int64_t t = 0; t < n; ++t)
    for (int e = 0; e < kResidualPlanes; ++e) {
      const double gain = utility(group, t, e);
      mean[e] += gain / static_cast<double>(n);
      log_gain[t * kResidualPlanes + e] = std::log(std::max(gain, 1e-30));
      mean_log[e] += log_gain[t * kResidualPlanes + e] / static_cast<double>(n);
    }
  std::vector<float> targets(n * kResidualPlanes);
  for (int64_t t = 0; t < n; ++t)
    for (int e = 0; e < kResidualPlanes; ++e)
      targets[t * kResidualPlanes + e] = static_cast<float>(
          std::log(std::max(mean[e], 1e-30)) + token_weight * (log_gain[t * kResidualPlanes + e] - mean_log[e]));
  return targets;
}

}  // namespace

Status calibrate_hf_to_mbq(const CalibrateOptions& o) {
  const Clock clock;
  if (o.windows < 1 || o.window_tokens < 2) return invalid_argument("calibration needs at least one window of 2 tokens");
  if (o.router_hidden < 1) return invalid_argument("router hidden width must be positive");
  // Refused before minutes of calibration, not only when the file is written: the output must not be
  // the calibration text, the checkpoint directory or a file in it, and its directory must take it.
  MOBIQ_RETURN_IF_ERROR(refuse_output_over_input(o.output_path, o.calib_path, "the calibration text"));
  MOBIQ_ASSIGN_OR_RETURN(const std::vector<std::string> checkpoint_paths, directory_and_entries(o.input_dir));
  MOBIQ_RETURN_IF_ERROR(refuse_output_over_inputs(o.output_path, checkpoint_paths));
  MOBIQ_RETURN_IF_ERROR(check_output_writable(o.output_path));
  MOBIQ_ASSIGN_OR_RETURN(Model fp, Model::open_hf(o.input_dir));
  const ModelConfig& config = fp.config();
  MOBIQ_ASSIGN_OR_RETURN(std::string text, read_text_file(o.calib_path));
  MOBIQ_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, protocol_tokens(fp.tokenizer(), config.bos_id, text));
  const int32_t windows = std::min<int32_t>(o.windows, static_cast<int32_t>(tokens.size() / o.window_tokens));
  if (windows < 1)
    return invalid_argument(o.calib_path + ": " + std::to_string(tokens.size()) + " tokens, fewer than one window of " +
                            std::to_string(o.window_tokens));

  // 1-2. Activation statistics, then per layer slices, output errors and routers; a range of layers per
  // pass over the text.
  ThreadPool pool(o.threads);
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<cpu::CpuExecutor> fp_executor, window_executor(fp, o.window_tokens, o.threads));
  const int64_t groups = static_cast<int64_t>(config.n_layers) * kLinearGroups;
  std::vector<GroupCalibration> calibrated(groups);
  CalibratedContent content;
  content.linears.resize(static_cast<size_t>(config.n_layers) * kProjectionsPerLayer);
  RouterTrainingOptions training;
  training.hidden = o.router_hidden;
  training.epochs = o.router_epochs;
  const int64_t samples_per_layer = static_cast<int64_t>(windows) * o.samples_per_window;
  const int32_t layers_per_pass = static_cast<int32_t>(std::clamp<int64_t>(
      o.statistics_budget_bytes / ActivationCollector::bytes_per_layer(config, samples_per_layer), 1, config.n_layers));
  for (int32_t first = 0; first < config.n_layers; first += layers_per_pass) {
    const int32_t end = std::min(config.n_layers, first + layers_per_pass);
    ActivationCollector collector(config, first, end, o.samples_per_window, o.seed, pool);
    for (int32_t w = 0; w < windows; ++w) {
      MOBIQ_RETURN_IF_ERROR(fp_executor->truncate(0));
      collector.begin_window(o.window_tokens);
      fp_executor->set_observer(&collector);
      const std::span<const int32_t> window(tokens.data() + static_cast<int64_t>(w) * o.window_tokens, o.window_tokens);
      MOBIQ_RETURN_IF_ERROR(fp_executor->forward(window, 0, ForwardOutput{ForwardOutput::Kind::kNone}));
      fp_executor->set_observer(nullptr);
      report(o, clock, "activations", w + 1, windows);
    }
    for (int32_t layer = first; layer < end; ++layer) {
      // The layer's slices, then per group its output errors and router; its statistics go with it.
      std::vector<std::vector<float>> originals(kProjectionsPerLayer);
      for (int p = 0; p < kProjectionsPerLayer; ++p) {
        const DenseTensor& dense = (fp.weights().layers[layer].*kLinears[p].member).dense;
        originals[p] = to_f32(dense);
        GroupActivations& acts = collector.at(layer, kLinears[p].group);
        auto q = quantize_calibrated(originals[p].data(), dense.rows, dense.cols, acts.hessian.data(), o.linear);
        if (!q.ok()) return q.status().with_context("layer " + std::to_string(layer) + " linear " + std::to_string(p));
        content.linears[static_cast<size_t>(layer) * kProjectionsPerLayer + p] = std::move(q).value();
      }
      for (int g = 0; g < kLinearGroups; ++g) {
        GroupActivations& acts = collector.at(layer, static_cast<LinearGroup>(g));
        acts.hessian = {};
        std::vector<const float*> originals_of_group;
        std::vector<const NestedRtnLinear*> quantized_of_group;
        GroupCalibration& group = calibrated[layer * kLinearGroups + g];
        for (int p = 0; p < kProjectionsPerLayer; ++p)
          if (static_cast<int>(kLinears[p].group) == g) {
            const NestedRtnLinear& q = content.linears[static_cast<size_t>(layer) * kProjectionsPerLayer + p];
            originals_of_group.push_back(originals[p].data());
            quantized_of_group.push_back(&q);
            group.weights += static_cast<double>(q.out) * q.in;
          }
        const int64_t n = static_cast<int64_t>(acts.samples.size()) / acts.dim;
        group_errors(originals_of_group, quantized_of_group, acts.samples.data(), n, pool, group.errors);
        training.seed = o.seed + static_cast<uint64_t>(layer * kLinearGroups + g);
        RouterFit fit = train_router(acts.samples.data(), router_targets(group, o.token_weight).data(), n,
                                     static_cast<int32_t>(acts.dim), training);
        fit.router.layer = layer;
        fit.router.group = static_cast<LinearGroup>(g);
        group.scores = router_scores_of(fit.router, acts.samples.data(), n);
        content.routers.push_back(std::move(fit.router));
        acts.samples = {};
      }
      report(o, clock, "layers", layer + 1, config.n_layers);
    }
  }
  fp_executor.reset();
  const int64_t n = static_cast<int64_t>(calibrated.front().scores.size()) / kResidualPlanes;

  // The calibrated model in memory: the checkpoint's dense tensors, the new slices.
  ModelWeights weights = fp.weights();
  for (int32_t layer = 0; layer < config.n_layers; ++layer)
    for (int p = 0; p < kProjectionsPerLayer; ++p) {
      LinearWeights& slot = weights.layers[layer].*kLinears[p].member;
      slot.dense = {};
      slot.sliced = content.linears[static_cast<size_t>(layer) * kProjectionsPerLayer + p].view();
    }
  MOBIQ_ASSIGN_OR_RETURN(HfCheckpoint checkpoint, HfCheckpoint::open(o.input_dir));
  MOBIQ_ASSIGN_OR_RETURN(Tokenizer tokenizer,
                         Tokenizer::from_hf_json(checkpoint.tokenizer_json(), checkpoint.tokenizer_config_json()));
  const Model quantized(config, std::move(weights), std::move(tokenizer), nullptr, kMaxPlanes, "");

  // 3. Sensitivity: mean KL divergence of the next-token distribution from the full model's when only
  // this group reads its base slice (plan_divergence.h), per unit of that group's output error.
  DivergenceOptions divergence;
  divergence.windows = std::min(o.sensitivity_windows, windows);
  divergence.window_tokens = o.window_tokens;
  divergence.threads = o.threads;
  divergence.progress = [&](int64_t done, int64_t total) { report(o, clock, "sensitivity", done, total); };
  std::vector<std::vector<uint8_t>> base_only(groups, std::vector<uint8_t>(groups, kMaxPlanes));
  std::vector<SlicePlan> drops(groups);
  for (int64_t g = 0; g < groups; ++g) {
    base_only[g][g] = 1;
    drops[g].mode = SlicePlan::Mode::kPerGroup;
    drops[g].group_slices = base_only[g];
  }
  MOBIQ_ASSIGN_OR_RETURN(const std::vector<double> kl, plan_divergences(quantized, tokens, drops, divergence));
  // The planner's view: a group's utility per bit of slice e is its sensitivity times its output
  // error reduction per weight-bit; the routers predict the log of the latter, so the sensitivity
  // enters as a per-group offset to their scores (carried by the thresholds in the file).
  BudgetTableInput planner;
  planner.n_layers = config.n_layers;
  planner.group_weights.resize(groups);
  planner.score_offsets.resize(groups);
  planner.mean_utility.assign(groups * kResidualPlanes, 0.0);
  planner.scores.assign(n * groups * kResidualPlanes, 0.0f);
  planner.samples = n;
  for (int64_t g = 0; g < groups; ++g) {
    const GroupCalibration& group = calibrated[g];
    double mean_error = 0.0;
    for (int64_t t = 0; t < n; ++t) mean_error += group.errors[t * kMaxPlanes] - group.errors[t * kMaxPlanes + kMaxPlanes - 1];
    mean_error /= static_cast<double>(n);
    const double sensitivity = std::max(kl[g], 1e-12) / std::max(mean_error, 1e-30);
    planner.group_weights[g] = group.weights;
    planner.score_offsets[g] = std::log(sensitivity);
    for (int64_t t = 0; t < n; ++t)
      for (int e = 0; e < kResidualPlanes; ++e)
        planner.mean_utility[g * kResidualPlanes + e] += sensitivity * utility(group, t, e) / static_cast<double>(n);
    for (int64_t t = 0; t < n; ++t)
      std::copy_n(group.scores.data() + t * kResidualPlanes, kResidualPlanes,
                  planner.scores.data() + (t * groups + g) * kResidualPlanes);
  }
  int64_t router_parameters = 0;
  for (const MbqRouter& r : content.routers) {
    RouterWeights view;
    view.in = r.input_dim;
    view.hidden = r.hidden;
    router_parameters += view.parameters();
  }
  planner.router_bits = kRouterParameterBits * static_cast<double>(router_parameters) /
                        std::accumulate(planner.group_weights.begin(), planner.group_weights.end(), 0.0);

  // 4. Budget table, 5. the file.
  content.budget_table = make_budget_table(planner);
  content.record.method = kCalibratedMethod;
  content.record.dataset = std::filesystem::path(o.calib_path).filename().string();
  content.record.windows = windows;
  content.record.window_tokens = o.window_tokens;
  content.record.seed = o.seed;
  content.record.seconds = static_cast<float>(clock.seconds());
  report(o, clock, "writing", 0, 1);
  ConvertOptions convert;
  convert.input_dir = o.input_dir;
  convert.output_path = o.output_path;
  convert.calibrated = &content;
  convert.dense_q8 = o.dense_q8;
  MOBIQ_RETURN_IF_ERROR(convert_hf_to_mbq(convert));
  report(o, clock, "writing", 1, 1);
  return Status::Ok();
}

}  // namespace mobiq
