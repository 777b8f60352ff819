// mobiq quantize: Hugging Face checkpoint -> .mbq with nested RTN slices.
#include <chrono>
#include <cstdio>

#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"
#include "tools/quantizer/hf_converter.h"

namespace mobiq::cli {
namespace {

struct QuantizeArgs {
  std::string hf_dir;
  std::string output;
  std::string calib;
};

int run_quantize(const QuantizeArgs& args) {
  if (!args.calib.empty())
    return report_error(unsupported("--calib: calibrated slices and routers are not in this version; "
                                    "leave it out to convert with nested round-to-nearest"));
  ConvertOptions options;
  options.input_dir = args.hf_dir;
  options.output_path = args.output;
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

}  // namespace

Command add_quantize_command(CLI::App& root) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* app = root.add_subcommand("quantize", "convert a Hugging Face checkpoint to a sliced .mbq file");
  app->add_option("--hf", args->hf_dir, "Hugging Face checkpoint directory")->required()->check(CLI::ExistingDirectory);
  app->add_option("-o,--output", args->output, "the .mbq file to write")->required();
  app->add_option("--calib", args->calib, "calibration text (calibrated slices; not in this version)");
  return {app, [args] { return run_quantize(*args); }};
}

}  // namespace mobiq::cli
