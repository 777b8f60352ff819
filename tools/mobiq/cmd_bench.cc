// mobiq bench: prefill and decode speed per slice count, measured side by side in one run, with
// each slice count's speed as a ratio to the full-precision (most slices) run.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "runtime/engine/session.h"
#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"

namespace mobiq::cli {
namespace {

struct BenchArgs {
  ModelSource source;
  BackendChoice backend;
  std::vector<int32_t> slices;
  int32_t prompt_tokens = 128;
  int32_t decode_tokens = 64;
  int32_t repetitions = 3;
  bool json = false;
};

// Wall-clock throughput, and throughput per CPU second of the whole process (every thread), which
// on a machine shared with other work does not count the time this process waited for a core.
struct Speed {
  double prefill_tokens_per_second = 0;
  double decode_tokens_per_second = 0;
  double prefill_tokens_per_cpu_second = 0;
  double decode_tokens_per_cpu_second = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Best of `repetitions`: a prefill of the prompt, then decode steps each feeding the greedy token.
Result<Speed> measure(Executor& executor, const std::vector<int32_t>& prompt, int32_t k,
                      const BenchArgs& args) {
  SlicePlan plan;
  plan.slices = plan.max_slices = k;
  MOBIQ_RETURN_IF_ERROR(executor.set_plan(plan));
  // Greedy decoding with the argmax taken by the backend: no logits leave it.
  int32_t next = 0;
  ForwardOutput output;
  output.kind = ForwardOutput::Kind::kArgmax;
  output.argmax = &next;
  Speed best;
  for (int rep = 0; rep < args.repetitions; ++rep) {
    MOBIQ_RETURN_IF_ERROR(executor.truncate(0));
    auto started = std::chrono::steady_clock::now();
    double cpu_started = process_cpu_seconds();
    MOBIQ_RETURN_IF_ERROR(executor.forward(prompt, 0, output));
    best.prefill_tokens_per_second = std::max(best.prefill_tokens_per_second, prompt.size() / seconds_since(started));
    best.prefill_tokens_per_cpu_second =
        std::max(best.prefill_tokens_per_cpu_second, prompt.size() / (process_cpu_seconds() - cpu_started));
    started = std::chrono::steady_clock::now();
    cpu_started = process_cpu_seconds();
    for (int32_t i = 0; i < args.decode_tokens; ++i) {
      const int32_t token = next;
      MOBIQ_RETURN_IF_ERROR(executor.forward(std::span<const int32_t>(&token, 1), executor.cached_positions(), output));
    }
    best.decode_tokens_per_second = std::max(best.decode_tokens_per_second, args.decode_tokens / seconds_since(started));
    best.decode_tokens_per_cpu_second =
        std::max(best.decode_tokens_per_cpu_second, args.decode_tokens / (process_cpu_seconds() - cpu_started));
  }
  return best;
}

struct SwitchCost {
  double set_budget_microseconds = 0;     // one Session::set_budget_bits call
  double switching_tokens_per_second = 0;  // decode, budget alternating between two values every token
  double fixed_tokens_per_second = 0;      // decode at their mean, never switching
};

// What changing the budget between two tokens costs: the call itself, and decode speed when every
// token runs at another budget than the one before, against a fixed budget in the same run.
Result<SwitchCost> measure_switching(const Model& model, const BenchArgs& args, const std::vector<int32_t>& prompt) {
  SessionOptions options;
  options.backend = args.backend.resolved();
  options.n_threads = args.backend.threads;
  options.context_size = args.prompt_tokens + args.decode_tokens + 1;
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(model, options));
  SwitchCost cost;
  const double low = 3.0, high = 6.0;
  constexpr int kCalls = 2000;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) MOBIQ_RETURN_IF_ERROR(session->set_budget_bits(i % 2 ? low : high));
  cost.set_budget_microseconds = seconds_since(started) * 1e6 / kCalls;

  for (bool switching : {false, true}) {
    double best = 0;
    for (int rep = 0; rep < args.repetitions; ++rep) {
      session->reset();
      MOBIQ_RETURN_IF_ERROR(session->set_budget_bits((low + high) / 2));
      MOBIQ_RETURN_IF_ERROR(session->feed(prompt));
      Sampler greedy({.temperature = 0.0f});
      Status status;
      int64_t step = 0;
      started = std::chrono::steady_clock::now();
      auto result = session->generate(args.decode_tokens, greedy, [&](int32_t, const std::string&) {
        if (switching) status = session->set_budget_bits(++step % 2 ? low : high);
        return status.ok();
      });
      if (!result.ok()) return result.status();
      MOBIQ_RETURN_IF_ERROR(status);
      best = std::max(best, result->tokens / seconds_since(started));
    }
    (switching ? cost.switching_tokens_per_second : cost.fixed_tokens_per_second) = best;
  }
  return cost;
}

int run_bench(const BenchArgs& args) {
  Result<Model> model = open_model(args.source);
  if (!model.ok()) return report_error(model.status());
  Result<std::vector<int32_t>> slices = resolve_slices(*model, args.slices);
  if (!slices.ok()) return report_error(slices.status());
  std::vector<int32_t> order = *slices;
  std::sort(order.begin(), order.end(), std::greater<>());  // the baseline (most slices) first
  Result<std::unique_ptr<Executor>> executor =
      create_executor(*model, args.backend, args.prompt_tokens + args.decode_tokens, args.prompt_tokens);
  if (!executor.ok()) return report_error(executor.status());

  std::mt19937 rng(1);
  std::uniform_int_distribution<int32_t> token(3, model->config().vocab_size - 1);
  std::vector<int32_t> prompt(args.prompt_tokens);
  for (auto& id : prompt) id = token(rng);

  nlohmann::json rows = nlohmann::json::array();
  Speed baseline;
  if (!args.json)
    std::printf("%-7s %-5s %14s %8s %14s %8s %16s %16s\n", "slices", "bits", "prefill tok/s", "ratio", "decode tok/s",
                "ratio", "prefill tok/cpu-s", "decode tok/cpu-s");
  for (int32_t k : order) {
    Result<Speed> speed = measure(**executor, prompt, k, args);
    if (!speed.ok()) return report_error(speed.status());
    if (k == order.front()) baseline = *speed;
    const double prefill_ratio = speed->prefill_tokens_per_second / baseline.prefill_tokens_per_second;
    const double decode_ratio = speed->decode_tokens_per_second / baseline.decode_tokens_per_second;
    const int bits = model->max_slices() > 0 ? 2 * k : 16;
    rows.push_back({{"slices", k}, {"bits", bits}, {"prefill_tokens_per_second", speed->prefill_tokens_per_second},
                    {"decode_tokens_per_second", speed->decode_tokens_per_second},
                    {"prefill_ratio", prefill_ratio}, {"decode_ratio", decode_ratio},
                    {"prefill_tokens_per_cpu_second", speed->prefill_tokens_per_cpu_second},
                    {"decode_tokens_per_cpu_second", speed->decode_tokens_per_cpu_second}});
    if (!args.json)
      std::printf("%-7d %-5d %14.1f %7.2fx %14.1f %7.2fx %16.1f %16.1f\n", k, bits, speed->prefill_tokens_per_second,
                  prefill_ratio, speed->decode_tokens_per_second, decode_ratio, speed->prefill_tokens_per_cpu_second,
                  speed->decode_tokens_per_cpu_second);
  }
  nlohmann::json switching;
  if (model->max_slices() > 0) {
    Result<SwitchCost> cost = measure_switching(*model, args, prompt);
    if (!cost.ok()) return report_error(cost.status());
    switching = {{"set_budget_microseconds", cost->set_budget_microseconds},
                 {"switching_tokens_per_second", cost->switching_tokens_per_second},
                 {"fixed_tokens_per_second", cost->fixed_tokens_per_second},
                 {"ratio", cost->switching_tokens_per_second / cost->fixed_tokens_per_second}};
    if (!args.json)
      std::printf("budget switch: %.2f us per change; decode switching 3.0 <-> 6.0 bits every token %.1f tok/s, "
                  "fixed 4.5 bits %.1f tok/s (%.2fx)\n",
                  cost->set_budget_microseconds, cost->switching_tokens_per_second, cost->fixed_tokens_per_second,
                  cost->switching_tokens_per_second / cost->fixed_tokens_per_second);
  }
  if (args.json) {
    nlohmann::json doc = {{"prompt_tokens", args.prompt_tokens}, {"decode_tokens", args.decode_tokens},
                          {"repetitions", args.repetitions}, {"results", rows}, {"budget_switch", switching}};
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    std::printf("best of %d; prompt %d tokens, %d decode steps; ratios against %d slices\n", args.repetitions,
                args.prompt_tokens, args.decode_tokens, order.front());
  }
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& root) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* app = root.add_subcommand("bench", "prefill and decode speed per slice count");
  add_model_source_options(*app, args->source);
  add_backend_options(*app, args->backend);
  app->add_option("--slices", args->slices, "slice counts (default: all)")->delimiter(',');
  app->add_option("-p,--n-prompt", args->prompt_tokens, "prompt tokens")->check(CLI::Range(1, 1 << 16))->capture_default_str();
  app->add_option("-n,--n-gen", args->decode_tokens, "decode steps")->check(CLI::Range(1, 1 << 16))->capture_default_str();
  app->add_option("-r,--repetitions", args->repetitions, "runs per slice count (best is kept)")->check(CLI::Range(1, 100))->capture_default_str();
  app->add_flag("--json", args->json, "one JSON document on stdout");
  return {app, [args] { return run_bench(*args); }};
}

}  // namespace mobiq::cli
