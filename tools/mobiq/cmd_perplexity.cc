// mobiq perplexity: the shared protocol (documents joined, one BOS, windows of -c tokens on a fresh
// cache), one result per slice count.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/engine/perplexity.h"
#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"

namespace mobiq::cli {
namespace {

struct PerplexityArgs {
  ModelSource source;
  BackendChoice backend;
  std::string text_file;
  std::vector<int32_t> slices;
  std::vector<double> bits;
  int32_t window = 512;
  int32_t chunks = 0;
  bool json = false;
};

int run_perplexity(const PerplexityArgs& args) {
  Result<Model> model = open_model(args.source);
  if (!model.ok()) return report_error(model.status());
  Result<std::vector<int32_t>> slices = resolve_slices(*model, args.slices, args.bits);
  if (!slices.ok()) return report_error(slices.status());
  Result<std::string> text = read_text_file(args.text_file);
  if (!text.ok()) return report_error(text.status());
  Result<std::vector<int32_t>> tokens = protocol_tokens(model->tokenizer(), model->config().bos_id, *text);
  if (!tokens.ok()) return report_error(tokens.status());
  Result<std::unique_ptr<Executor>> executor = create_executor(*model, args.backend, args.window, args.window);
  if (!executor.ok()) return report_error(executor.status());

  const bool sliced = model->max_slices() > 0;
  nlohmann::json results = nlohmann::json::array();
  if (!args.json) std::printf("%-8s %-6s %12s %12s %9s %9s\n", "slices", "bits", "perplexity", "predictions", "seconds", "tok/s");
  for (int32_t k : *slices) {
    Progress progress("perplexity" + (sliced ? " k=" + std::to_string(k) : std::string()));
    PerplexityOptions options;
    options.window = args.window;
    options.plan.slices = k;
    options.max_windows = args.chunks;
    options.progress = [&](int64_t done, int64_t total) { progress.update(done, total); };
    Result<PerplexityResult> r = evaluate_perplexity(**executor, *model, *tokens, options);
    progress.finish();
    if (!r.ok()) return report_error(r.status());
    const double tokens_per_second = r->windows * args.window / r->seconds;
    if (args.json) {
      nlohmann::json row = {{"perplexity", r->perplexity}, {"nll", r->total_nll}, {"predictions", r->predictions},
                            {"windows", r->windows}, {"seconds", r->seconds}, {"tokens_per_second", tokens_per_second}};
      if (sliced) {
        row["slices"] = k;
        row["bits"] = 2 * k;
      } else {
        row["weights"] = "unquantized";
      }
      results.push_back(row);
    } else {
      std::printf("%-8s %-6s %12.4f %12lld %9.1f %9.1f\n", sliced ? std::to_string(k).c_str() : "-",
                  sliced ? std::to_string(2 * k).c_str() : "16", r->perplexity,
                  static_cast<long long>(r->predictions), r->seconds, tokens_per_second);
      std::fflush(stdout);
    }
  }
  if (args.json) {
    nlohmann::json doc = {{"file", args.text_file}, {"tokens", tokens->size()}, {"window", args.window},
                          {"results", results}};
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    std::printf("text: %s, %zu tokens, windows of %d\n", args.text_file.c_str(), tokens->size(), args.window);
  }
  return 0;
}

}  // namespace

Command add_perplexity_command(CLI::App& root) {
  auto args = std::make_shared<PerplexityArgs>();
  CLI::App* app = root.add_subcommand("perplexity", "perplexity of a text, per slice count (the shared protocol)");
  add_model_source_options(*app, args->source);
  add_backend_options(*app, args->backend);
  app->add_option("-f,--file", args->text_file, "text file; documents separated by a line <|doc|>")
      ->required()
      ->check(CLI::ExistingFile);
  auto* s = app->add_option("--slices", args->slices, "slice counts, e.g. 1,2,3,4 (default: all)")->delimiter(',');
  auto* b = app->add_option("--bits", args->bits, "bits per weight, e.g. 2,4,6,8 (2 per slice)")->delimiter(',');
  s->excludes(b);
  app->add_option("-c,--ctx-size", args->window, "window length in tokens")->check(CLI::Range(2, 1 << 20))->capture_default_str();
  app->add_option("--chunks", args->chunks, "evaluate only the first N windows (0: all)")->check(CLI::NonNegativeNumber);
  app->add_flag("--json", args->json, "one JSON document on stdout");
  return {app, [args] { return run_perplexity(*args); }};
}

}  // namespace mobiq::cli
