// mobiq run: generate a continuation of a prompt, streaming it to stdout; speed on stderr.
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "runtime/engine/precision.h"
#include "runtime/engine/session.h"
#include "tools/mobiq/budget_options.h"
#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"
#include "tools/mobiq/finite_number.h"

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
  BudgetChoice budget;
  SamplingParams sampling;
  bool json = false;
};

int run_generate(RunArgs& args) {
  Result<Model> model = open_model(args.source);
  if (!model.ok()) return report_error(model.status());
  if (!args.prompt_file.empty()) {
    Result<std::string> text = read_text_file(args.prompt_file);
    if (!text.ok()) return report_error(text.status());
    args.prompt = *text;
  }
  SessionOptions options;
  options.backend = args.backend.resolved();
  options.n_threads = args.backend.threads;
  options.context_size = args.context_size;
  Result<std::unique_ptr<Session>> session = Session::create(*model, options);
  if (!session.ok()) return report_error(session.status());
  if (const Status s = apply_budget_mode(args.budget, **session); !s.ok()) return report_error(s);
  const double bits = args.slices > 0 ? 2.0 * args.slices : args.bits;
  if (bits > 0) {
    const Status s = (*session)->set_budget_bits(bits, args.slices > 0 ? "set with --slices" : "set with --bits");
    if (!s.ok()) return report_error(s);
  }
  if (const Status s = apply_budget(args.budget, args.budget.budget, "--budget", **session); !s.ok())
    return report_error(s);

  Result<std::vector<int32_t>> prompt = model->tokenizer().encode(args.prompt);
  if (!prompt.ok()) return report_error(prompt.status());
  std::fputs(args.prompt.c_str(), stdout);
  std::fflush(stdout);
  const Status fed = (*session)->feed(*prompt);
  if (!fed.ok()) return report_error(fed);
  Sampler sampler(args.sampling);
  Result<GenerateResult> result =
      (*session)->generate(args.n_predict, sampler, [&](int32_t, const std::string& piece) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        return true;
      });
  std::fputc('\n', stdout);
  if (!result.ok()) return report_error(result.status());
  // A full context is a clean stop, not an error, but never a silent one: the user asked for more.
  if (result->context_full)
    std::fprintf(stderr, "mobiq: stopped after %lld generated tokens: the %d-token context is full (-c/--ctx-size)\n",
                 static_cast<long long>(result->tokens), args.context_size);
  const SessionStats stats = (*session)->stats();
  if (args.json) {
    const nlohmann::json doc = {{"prompt_tokens", stats.prompt_tokens},
                                {"prompt_tokens_per_second", stats.prompt_tokens_per_second()},
                                {"generated_tokens", stats.generated_tokens},
                                {"tokens_per_second", stats.tokens_per_second()},
                                {"average_bits_per_weight", stats.average_bits_per_weight},
                                {"budget_bits", stats.budget_bits},
                                {"budget_mode", budget_mode_name(stats.budget_mode)},
                                {"spend_bits", stats.spend_bits},
                                {"spend_tokens", stats.spend_tokens},
                                {"threshold_offset", stats.threshold_offset},
                                {"backend", (*session)->backend_name()}};
    std::fprintf(stderr, "%s\n", doc.dump().c_str());
    return 0;
  }
  const std::string precision = model->max_slices() > 0
                                    ? format_bits(stats.average_bits_per_weight) + " bits/weight used on average"
                                    : std::string("unquantized");
  std::fprintf(stderr, "prompt: %lld tokens, %.1f tok/s | generated: %lld tokens, %.1f tok/s | %s | %s\n",
               static_cast<long long>(stats.prompt_tokens), stats.prompt_tokens_per_second(),
               static_cast<long long>(stats.generated_tokens), stats.tokens_per_second(), precision.c_str(),
               (*session)->backend_name());
  if (model->max_slices() > 0)
    std::fprintf(stderr, "budget: %.2f bits (%s: %s) | %s | %s | %d planes resident\n", (*session)->budget_bits(),
                 (*session)->governed() ? "auto" : "fixed", (*session)->budget_reason().c_str(),
                 describe_spend(stats).c_str(), (*session)->plan_description().c_str(),
                 (*session)->loaded_model().resident_planes());
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
  // Any count is accepted: generation also stops at a full context, with a note on stderr.
  app->add_option("-n,--n-predict", args->n_predict,
                  "most tokens to generate (-1: no limit); a full context (-c) stops it first, with a note on stderr")
      ->check(CLI::Range(-1, std::numeric_limits<int32_t>::max()))
      ->capture_default_str();
  app->add_option("-c,--ctx-size", args->context_size, "context length in tokens")->check(CLI::Range(8, 1 << 20))->capture_default_str();
  auto* s = app->add_option("--slices", args->slices, "slice planes every linear reads (1..4)")->check(CLI::Range(1, 4));
  auto* b = app->add_option("--bits", args->bits, "bits per weight: 2, 4, 6 or 8")->check(FiniteNumber)->check(CLI::Range(2.0, 8.0));
  s->excludes(b);
  CLI::Option* budget = add_budget_options(*app, args->budget);
  budget->excludes(s)->excludes(b);
  app->add_option("--temp", args->sampling.temperature, "temperature (0: greedy)")->check(FiniteNumber)->check(CLI::Range(0.0, 100.0))->capture_default_str();
  app->add_option("--top-k", args->sampling.top_k, "keep the k most likely tokens (0: all)")->check(CLI::NonNegativeNumber)->capture_default_str();
  app->add_option("--top-p", args->sampling.top_p, "nucleus mass")->check(FiniteNumber)->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app->add_option("--seed", args->sampling.seed, "sampling seed")->capture_default_str();
  app->add_flag("--json", args->json, "the closing statistics (speed, budget, spend, threshold offset) as one JSON line on stderr");
  return {app, [args] { return run_generate(*args); }};
}

}  // namespace mobiq::cli
