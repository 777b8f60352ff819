// mobiq run: generate a continuation of a prompt, streaming it to stdout; speed on stderr.
#include <cstdio>

#include "runtime/engine/generator.h"
#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"

namespace mobiq::cli {
namespace {

struct RunArgs {
  ModelSource source;
  BackendChoice backend;
  std::string prompt;
  std::string prompt_file;
  int32_t n_predict = 128;
  int32_t context_size = 2048;
  int32_t slices = 0;
  double bits = 0.0;
  SamplingParams sampling;
};

int run_generate(RunArgs& args) {
  Result<Model> model = open_model(args.source);
  if (!model.ok()) return report_error(model.status());
  if (!args.prompt_file.empty()) {
    Result<std::string> text = read_text_file(args.prompt_file);
    if (!text.ok()) return report_error(text.status());
    args.prompt = *text;
  }
  std::vector<int32_t> wanted_slices, none;
  std::vector<double> wanted_bits;
  if (args.slices > 0) wanted_slices.push_back(args.slices);
  if (args.bits > 0) wanted_bits.push_back(args.bits);
  Result<std::vector<int32_t>> slices = resolve_slices(*model, wanted_slices, wanted_bits);
  if (!slices.ok()) return report_error(slices.status());
  // Default: the highest precision the model holds.
  const int32_t k = (wanted_slices.empty() && wanted_bits.empty()) ? slices->back() : slices->front();

  Result<std::vector<int32_t>> prompt = model->tokenizer().encode(args.prompt);
  if (!prompt.ok()) return report_error(prompt.status());
  if (static_cast<int32_t>(prompt->size()) >= args.context_size)
    return report_error(out_of_range("prompt has " + std::to_string(prompt->size()) +
                                     " tokens, the context holds " + std::to_string(args.context_size)));
  Result<std::unique_ptr<Executor>> executor = create_executor(*model, args.backend, args.context_size, 512);
  if (!executor.ok()) return report_error(executor.status());

  GenerateOptions options;
  options.n_predict = args.n_predict;
  options.slices = k;
  options.sampling = args.sampling;
  std::fputs(args.prompt.c_str(), stdout);
  Result<GenerateStats> stats = generate(**executor, *model, *prompt, options, [](int32_t, const std::string& piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  std::fputc('\n', stdout);
  if (!stats.ok()) return report_error(stats.status());
  const std::string precision = model->max_slices() > 0 ? std::to_string(k) + " slices (" + std::to_string(2 * k) + " bits)"
                                                        : std::string("unquantized");
  std::fprintf(stderr, "prompt: %lld tokens, %.1f tok/s | generated: %lld tokens, %.1f tok/s | %s\n",
               static_cast<long long>(stats->prompt_tokens), stats->prompt_tokens_per_second(),
               static_cast<long long>(stats->generated_tokens), stats->tokens_per_second(), precision.c_str());
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& root) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* app = root.add_subcommand("run", "generate text from a prompt");
  add_model_source_options(*app, args->source);
  add_backend_options(*app, args->backend);
  auto* p = app->add_option("-p,--prompt", args->prompt, "prompt text");
  auto* f = app->add_option("-f,--file", args->prompt_file, "read the prompt from a file")->check(CLI::ExistingFile);
  p->excludes(f);
  app->add_option("-n,--n-predict", args->n_predict, "tokens to generate (-1: until EOS or a full context)")
      ->check(CLI::Range(-1, 1 << 30))
      ->capture_default_str();
  app->add_option("-c,--ctx-size", args->context_size, "context length in tokens")->check(CLI::Range(8, 1 << 20))->capture_default_str();
  auto* s = app->add_option("--slices", args->slices, "slice planes every linear reads (1..4)")->check(CLI::Range(1, 4));
  auto* b = app->add_option("--bits", args->bits, "bits per weight: 2, 4, 6 or 8")->check(CLI::Range(2.0, 8.0));
  s->excludes(b);
  app->add_option("--temp", args->sampling.temperature, "temperature (0: greedy)")->check(CLI::Range(0.0, 100.0))->capture_default_str();
  app->add_option("--top-k", args->sampling.top_k, "keep the k most likely tokens (0: all)")->check(CLI::NonNegativeNumber)->capture_default_str();
  app->add_option("--top-p", args->sampling.top_p, "nucleus mass")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app->add_option("--seed", args->sampling.seed, "sampling seed")->capture_default_str();
  return {app, [args] { return run_generate(*args); }};
}

}  // namespace mobiq::cli
