// mobiq quantize: Hugging Face checkpoint -> .mbq. Without --calib: nested RTN slices. With --calib:
// calibrated slices, per-token routers and a budget table (tools/quantizer/calibration/calibrator.h).
#include <chrono>
#include <cstdio>

#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"
#include "tools/mobiq/finite_number.h"
#include "tools/quantizer/calibration/calibrator.h"
#include "tools/quantizer/hf_converter.h"

namespace mobiq::cli {
namespace {

struct QuantizeArgs {
  std::string hf_dir;
  std::string output;
  std::string dense = "source";  // --dense: the embedding and output head as in the source, or q8
  CalibrateOptions calibration;
  bool no_clip_search = false;
  bool no_error_compensation = false;
  int64_t statistics_mib = CalibrateOptions{}.statistics_budget_bytes >> 20;
};

int run_nested_rtn(const QuantizeArgs& args) {
  ConvertOptions options;
  options.input_dir = args.hf_dir;
  options.output_path = args.output;
  options.dense_q8 = args.dense == "q8";
  Progress progress("quantize");
  options.progress = [&](const ConvertProgress& p) { progress.update(p.done, p.total); };
  const auto started = std::chrono::steady_clock::now();
  const Status status = convert_hf_to_mbq(options);
  progress.finish();
  if (!status.ok()) return report_error(status);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "wrote %s (nested RTN, 4 x 2-bit slices) in %.1f s\n", args.output.c_str(), seconds);
  return 0;
}

int run_calibrated(QuantizeArgs args) {
  CalibrateOptions& options = args.calibration;
  options.input_dir = args.hf_dir;
  options.output_path = args.output;
  options.dense_q8 = args.dense == "q8";
  options.linear.clip_search = !args.no_clip_search;
  options.linear.error_compensation = !args.no_error_compensation;
  options.statistics_budget_bytes = args.statistics_mib << 20;
  std::string stage;
  options.progress = [&stage](const CalibrationProgress& p) {
    if (p.stage != stage && !stage.empty()) std::fputc('\n', stderr);
    stage = p.stage;
    std::fprintf(stderr, "\r[%7.1f s] %-12s %lld/%lld", p.seconds, p.stage.c_str(), static_cast<long long>(p.done),
                 static_cast<long long>(p.total));
    std::fflush(stderr);
  };
  const Status status = calibrate_hf_to_mbq(options);
  std::fputc('\n', stderr);
  if (!status.ok()) return report_error(status);
  std::fprintf(stderr, "wrote %s (calibrated slices, routers, budgets 2.0-8.0 bits)\n", args.output.c_str());
  return 0;
}

}  // namespace

Command add_quantize_command(CLI::App& root) {
  auto args = std::make_shared<QuantizeArgs>();
  CalibrateOptions& c = args->calibration;
  CLI::App* app = root.add_subcommand("quantize", "convert a Hugging Face checkpoint to a sliced .mbq file");
  app->footer(
      "The file is written as OUTPUT.partial-XXXXXX beside OUTPUT and renamed over it only when complete: an\n"
      "existing OUTPUT is never altered by a failed or interrupted run, and Ctrl-C or SIGTERM removes the\n"
      "partial file. Only SIGKILL (kill -9, the OOM killer) or a crash can leave a *.partial-XXXXXX file\n"
      "behind; it is safe to delete.");
  app->add_option("--hf", args->hf_dir, "Hugging Face checkpoint directory")->required()->check(CLI::ExistingDirectory);
  app->add_option("-o,--output", args->output, "the .mbq file to write")->required();
  app->add_option("--dense", args->dense,
                  "embedding and output head: 'source' (the checkpoint's dtype) or 'q8' (8-bit, per row and "
                  "128 columns; halves a bf16 head, which every token reads)")
      ->check(CLI::IsMember({"source", "q8"}))
      ->capture_default_str();
  auto* calib = app->add_option("--calib", c.calib_path, "calibration text: calibrated slices, routers, budget table")
                    ->check(CLI::ExistingFile);
  app->add_option("--calib-windows", c.windows, "calibration windows")->check(CLI::Range(1, 1 << 20))->capture_default_str()->needs(calib);
  app->add_option("--calib-ctx", c.window_tokens, "tokens per calibration window")->check(CLI::Range(16, 1 << 16))->capture_default_str()->needs(calib);
  app->add_option("--router-hidden", c.router_hidden, "router hidden width")->check(CLI::Range(1, 512))->capture_default_str()->needs(calib);
  app->add_option("--router-epochs", c.router_epochs, "router training epochs")->check(CLI::Range(1, 10000))->capture_default_str()->needs(calib);
  app->add_option("--token-weight", c.token_weight, "how much routers follow each token's own utility (0..1)")
      ->check(FiniteNumber)
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->needs(calib);
  app->add_option("--sensitivity-windows", c.sensitivity_windows, "windows per layer-sensitivity probe")->check(CLI::Range(1, 1 << 20))->capture_default_str()->needs(calib);
  app->add_option("--samples-per-window", c.samples_per_window, "token activations kept per window for the routers")->check(CLI::Range(1, 1 << 16))->capture_default_str()->needs(calib);
  app->add_option("--statistics-memory", args->statistics_mib,
                  "MiB of activation statistics held at once; less memory, more passes over the text")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str()
      ->needs(calib);
  app->add_option("--seed", c.seed, "seed (sampling of router tokens, router initialisation)")->capture_default_str();
  app->add_option("-t,--threads", c.threads, "CPU threads (0: one per core)")->check(CLI::NonNegativeNumber);
  app->add_option("--reach-penalty", c.linear.reach_penalty,
                  "weight of high-precision fidelity in each slice's code choice (0: plain GPTQ)")
      ->check(FiniteNumber)
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->needs(calib);
  app->add_option("--compensated-slices", c.linear.compensated_slices,
                  "slices fitted with GPTQ error compensation, from the base up (finer ones round to nearest)")
      ->check(CLI::Range(0, 4))
      ->capture_default_str()
      ->needs(calib);
  app->add_flag("--no-clip-search", args->no_clip_search, "min/max base ranges instead of searched clipping")->needs(calib);
  app->add_flag("--no-error-compensation", args->no_error_compensation, "round each slice to nearest instead of GPTQ")->needs(calib);
  return {app, [args] { return args->calibration.calib_path.empty() ? run_nested_rtn(*args) : run_calibrated(*args); }};
}

}  // namespace mobiq::cli
