// mobiq perplexity: the shared protocol (documents joined, one BOS, windows of -c tokens on a fresh
// cache), one result per slice count or average budget, and per routing strategy when asked to
// compare them; measured bits per weight (routers counted) beside every figure. Routed plans run
// under each --budget-mode asked for (closed-loop spend control, or open: the calibrated thresholds).
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "runtime/core/output_path.h"
#include "runtime/engine/perplexity.h"
#include "runtime/engine/precision.h"
#include "runtime/engine/slice_planner.h"
#include "runtime/engine/spend_controller.h"
#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"
#include "tools/mobiq/finite_number.h"
#include "tools/mobiq/svg_plot.h"

namespace mobiq::cli {
namespace {

struct PerplexityArgs {
  ModelSource source;
  BackendChoice backend;
  std::string text_file;
  std::vector<int32_t> slices;
  std::vector<double> bits;
  std::vector<std::string> routing = {"routed"};
  std::vector<std::string> budget_modes = {"average"};
  uint64_t seed = 0;
  int32_t window = 512;
  int32_t chunks = 0;
  bool json = false;
  bool divergence = false;
  std::string plot;
  std::string plot_divergence;
};

// One evaluation to run: a plan and how to label it.
struct Run {
  std::string routing;  // "uniform", "routed", "fixed", "random", or "unquantized"
  double requested_bits = 0;
  OwnedSlicePlan choice;
  SlicePlan plan;
  std::optional<BudgetMode> mode;  // routed plans only: how the spend is held to the budget
};

Result<Routing> parse_routing(const std::string& name) {
  if (name == "routed") return Routing::kRouted;
  if (name == "fixed") return Routing::kFixed;
  if (name == "random") return Routing::kRandom;
  return invalid_argument("--routing " + name + ": expected routed, fixed or random");
}

Result<std::vector<Run>> plan_runs(const Model& model, const PerplexityArgs& args) {
  std::vector<Run> runs;
  if (model.max_slices() == 0) {
    if (!args.slices.empty() || !args.bits.empty())
      return invalid_argument("--slices/--bits need a sliced .mbq model; --hf runs unquantized");
    if (args.divergence)
      return invalid_argument("--kl-divergence needs a sliced .mbq model (it compares each plan with all its slices)");
    runs.push_back({"unquantized", 16.0, {}, {}, std::nullopt});
    return runs;
  }
  if (args.bits.empty()) {
    MOBIQ_ASSIGN_OR_RETURN(const std::vector<int32_t> counts, resolve_slices(model, args.slices));
    for (int32_t k : counts) {
      Run run{"uniform", 2.0 * k, {}, {}, std::nullopt};
      run.plan.slices = k;
      runs.push_back(run);
    }
    return runs;
  }
  const SlicePlanner planner(model.weights(), model.max_slices());
  for (double bits : args.bits)
    for (const std::string& name : args.routing) {
      MOBIQ_ASSIGN_OR_RETURN(Routing routing, parse_routing(name));
      MOBIQ_ASSIGN_OR_RETURN(OwnedSlicePlan choice, planner.choose(bits, routing, args.seed));
      if (choice.plan().mode != SlicePlan::Mode::kRouted) {
        runs.push_back({name, bits, std::move(choice), {}, std::nullopt});
        continue;
      }
      for (const std::string& mode_name : args.budget_modes) {
        MOBIQ_ASSIGN_OR_RETURN(BudgetMode mode, parse_budget_mode(mode_name));
        runs.push_back({name, bits, choice, {}, mode});
      }
    }
  for (Run& run : runs)
    if (run.routing != "uniform") run.plan = run.choice.plan();  // spans into the run's own choice
  return runs;
}

// A plot must not replace what it was measured from: the text, the model file, or the checkpoint
// directory and the files in it; and its directory must take it, known before minutes of evaluation.
Status check_plot_paths(const PerplexityArgs& args) {
  std::vector<std::string> inputs{args.text_file, args.source.mbq_path};
  if (!args.source.hf_dir.empty()) {
    MOBIQ_ASSIGN_OR_RETURN(const std::vector<std::string> checkpoint, directory_and_entries(args.source.hf_dir));
    inputs.insert(inputs.end(), checkpoint.begin(), checkpoint.end());
  }
  for (const std::string& plot : {args.plot, args.plot_divergence}) {
    if (plot.empty()) continue;
    MOBIQ_RETURN_IF_ERROR(refuse_output_over_inputs(plot, inputs));
    MOBIQ_RETURN_IF_ERROR(check_output_writable(plot));  // before the run, not after it
  }
  return Status::Ok();
}

int run_perplexity(const PerplexityArgs& args) {
  if (const Status s = check_plot_paths(args); !s.ok()) return report_error(s);
  Result<Model> model = open_model(args.source);
  if (!model.ok()) return report_error(model.status());
  Result<std::vector<Run>> runs = plan_runs(*model, args);
  if (!runs.ok()) return report_error(runs.status());
  Result<std::string> text = read_text_file(args.text_file);
  if (!text.ok()) return report_error(text.status());
  Result<std::vector<int32_t>> tokens = protocol_tokens(model->tokenizer(), model->config().bos_id, *text);
  if (!tokens.ok()) return report_error(tokens.status());
  Result<std::unique_ptr<Executor>> executor = create_executor(*model, args.backend, args.window, args.window);
  if (!executor.ok()) return report_error(executor.status());

  nlohmann::json results = nlohmann::json::array();
  std::map<std::string, PlotSeries> series, divergence_series;
  if (!args.json && args.divergence)
    std::printf("%-11s %-8s %9s %9s %12s %9s %8s %9s  %s\n", "routing", "mode", "budget", "bits", "perplexity", "KL",
                "same top", "seconds", "plan");
  else if (!args.json)
    std::printf("%-11s %-8s %9s %9s %12s %9s  %s\n", "routing", "mode", "budget", "bits", "perplexity", "seconds",
                "plan");
  for (const Run& run : *runs) {
    Progress progress("perplexity " + run.routing + " " + std::to_string(run.requested_bits).substr(0, 4));
    PerplexityOptions options;
    options.window = args.window;
    options.plan = run.plan;
    options.max_windows = args.chunks;
    options.divergence = args.divergence;
    options.progress = [&](int64_t done, int64_t total) { progress.update(done, total); };
    SpendController spend{ThresholdScale(model->weights().budget_table)};
    if (run.mode) {
      spend.set_mode(*run.mode);
      spend.reset(run.requested_bits,
                  router_bits_per_token(model->weights(), sliced_weight_count(model->weights())));
      options.spend = &spend;
    }
    const std::string mode = run.mode ? budget_mode_name(*run.mode) : "-";
    Result<PerplexityResult> r = evaluate_perplexity(**executor, *model, *tokens, options);
    progress.finish();
    if (!r.ok()) return report_error(r.status());
    const double measured = run.routing == "unquantized" ? 16.0 : r->bits_per_weight;
    const std::string description =
        run.routing == "uniform" ? std::to_string(run.plan.slices) + " slices everywhere" : run.choice.description();
    nlohmann::json result = {{"routing", run.routing}, {"budget_mode", mode}, {"budget_bits", run.requested_bits},
                             {"bits", measured}, {"threshold_offset", spend.threshold_offset()},
                             {"perplexity", r->perplexity}, {"nll", r->total_nll}, {"predictions", r->predictions},
                             {"windows", r->windows}, {"seconds", r->seconds}, {"plan", description}};
    if (args.divergence) {
      result["kl_divergence"] = r->kl_divergence;
      result["same_top_token"] = r->same_top_token;
    }
    results.push_back(std::move(result));
    const std::string line = run.mode ? run.routing + " " + mode : run.routing;
    series[line].name = line;
    series[line].points.emplace_back(measured, r->perplexity);
    divergence_series[line].name = line;
    if (r->kl_divergence > 0.0) divergence_series[line].points.emplace_back(measured, r->kl_divergence);
    if (!args.json && args.divergence)
      std::printf("%-11s %-8s %9.2f %9.3f %12.4f %9.5f %7.2f%% %9.1f  %s\n", run.routing.c_str(), mode.c_str(),
                  run.requested_bits, measured, r->perplexity, r->kl_divergence, 100.0 * r->same_top_token, r->seconds, description.c_str());
    else if (!args.json)
      std::printf("%-11s %-8s %9.2f %9.3f %12.4f %9.1f  %s\n", run.routing.c_str(), mode.c_str(), run.requested_bits,
                  measured, r->perplexity, r->seconds, description.c_str());
    std::fflush(stdout);
  }
  const auto draw = [](const std::string& path, const std::string& title, const std::string& y_label,
                       const std::map<std::string, PlotSeries>& by_routing) {
    std::vector<PlotSeries> lines;
    for (const auto& [name, s] : by_routing)
      if (!s.points.empty()) lines.push_back(s);
    return write_file_replacing(path, line_chart_svg(title, "bits per weight (measured, routers included)", y_label,
                                                     lines, true));
  };
  if (!args.plot.empty()) {
    const Status s = draw(args.plot, "perplexity of " + args.text_file, "perplexity", series);
    if (!s.ok()) return report_error(s);
  }
  if (!args.plot_divergence.empty()) {
    const Status s = draw(args.plot_divergence, "KL divergence from all slices on " + args.text_file,
                          "KL divergence (nats per token)", divergence_series);
    if (!s.ok()) return report_error(s);
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
  CLI::App* app = root.add_subcommand("perplexity", "perplexity of a text per slice count or budget (the shared protocol)");
  add_model_source_options(*app, args->source);
  add_backend_options(*app, args->backend);
  app->add_option("-f,--file", args->text_file, "text file; documents separated by a line <|doc|>")
      ->required()
      ->check(CLI::ExistingFile);
  auto* s = app->add_option("--slices", args->slices, "uniform slice counts, e.g. 1,2,3,4 (default: all)")->delimiter(',');
  auto* b = app->add_option("--bits", args->bits, "average budgets in bits per weight, e.g. 2,2.5,3,4")
                ->delimiter(',')
                ->check(FiniteNumber)
                ->check(CLI::Range(2.0, 8.0));
  s->excludes(b);
  app->add_option("--routing", args->routing, "with --bits: routed, fixed, random, or a list to compare")
      ->delimiter(',')
      ->check(CLI::IsMember({"routed", "fixed", "random"}))
      ->capture_default_str();
  app->add_option("--budget-mode", args->budget_modes,
                  "routed plans: average (closed loop: the spend meets the budget on any text), cap (no 128-token "
                  "window over it), open (the calibrated thresholds), or a list to compare; each window is one pass, "
                  "so the threshold offset moves between windows")
      ->delimiter(',')
      ->check(CLI::IsMember({"average", "cap", "open"}))
      ->capture_default_str();
  app->add_option("--seed", args->seed, "seed of --routing random")->capture_default_str();
  app->add_option("-c,--ctx-size", args->window, "window length in tokens")->check(CLI::Range(2, 1 << 20))->capture_default_str();
  app->add_option("--chunks", args->chunks, "evaluate only the first N windows (0: all)")->check(CLI::NonNegativeNumber);
  app->add_flag("--json", args->json, "one JSON document on stdout");
  app->add_flag("--kl-divergence", args->divergence,
                "also each plan's mean KL divergence from the file's full precision (every slice) and how often "
                "both put the same token first; runs every window twice");
  app->add_option("--plot", args->plot, "also draw perplexity against measured bits into this SVG file");
  app->add_option("--plot-kl", args->plot_divergence,
                  "with --kl-divergence: draw the divergence against measured bits (log scale; plans that equal "
                  "all slices, KL 0, are left out)")
      ->needs("--kl-divergence");
  return {app, [args] { return run_perplexity(*args); }};
}

}  // namespace mobiq::cli
