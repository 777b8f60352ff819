// mobiq chat: an interactive, streaming, multi-turn conversation in the model's chat format, with the
// live budget on a status line after every answer and commands to change it. The conversation stays
// in one KV cache: each turn feeds only its new text.
//
// stdout carries the answers only; prompts, status lines, command output and errors go to stderr, so
// a scripted session (stdin piped) reads the conversation from stdout. The "> " prompt and colors
// appear only when stdin and stdout are both terminals.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>

#include "runtime/engine/session.h"
#include "tools/mobiq/budget_options.h"
#include "tools/mobiq/chat_template.h"
#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"
#include "tools/mobiq/finite_number.h"
#include "tools/mobiq/interactive_input.h"

namespace mobiq::cli {
namespace {

constexpr const char* kCommandHelp = "/budget B (2..8 bits), /auto, /stats, /reset, /quit";

struct ChatArgs {
  ModelSource source;
  BackendChoice backend;
  int32_t context_size = 2048;
  int32_t n_predict = 512;
  BudgetChoice budget;
  SamplingParams sampling;
  std::string template_name = "auto";
  std::string system;
};

std::string trim(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  const size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

class Chat {
 public:
  Chat(const ChatArgs& args, const Model& model, Session& session, ChatTemplate chat_template, bool interactive)
      : args_(args),
        model_(model),
        session_(session),
        template_(std::move(chat_template)),
        sampler_(args.sampling),
        interactive_(interactive),
        end_of_turn_id_(model.tokenizer().token_id(template_.end_of_turn())) {}

  Status start() {
    MOBIQ_RETURN_IF_ERROR(apply_budget_mode(args_.budget, session_));
    return apply_budget(args_.budget, args_.budget.budget, "--budget", session_);
  }

  // Returns the exit status.
  int run() {
    if (interactive_)
      std::fprintf(stderr, "mobiq chat (%s format, %s). Commands: %s. Ctrl-C stops an answer.\n",
                   chat_format_name(template_.format()), session_.backend_name(), kCommandHelp);
    LineReader reader(STDIN_FILENO);
    bool interrupted_at_prompt = false;
    for (;;) {
      take_interrupt();  // a Ctrl-C that came after the last answer ended is not meant for the prompt
      if (interactive_) {
        std::fputs("\033[1m> \033[0m", stderr);
        std::fflush(stderr);
      }
      std::string line;
      const LineStatus status = reader.next(line);
      if (status == LineStatus::kEnd) break;
      if (status == LineStatus::kError) return report_error(io_error("reading stdin failed"));
      if (status == LineStatus::kInterrupted) {
        if (interrupted_at_prompt) break;
        interrupted_at_prompt = true;
        std::fputs("\n(Ctrl-C again to quit)\n", stderr);
        continue;
      }
      interrupted_at_prompt = false;
      line = trim(line);
      if (line.empty()) continue;
      if (line[0] == '/') {
        if (!command(line)) break;
        continue;
      }
      const Status s = answer(line);
      if (!s.ok()) report_error(s);
    }
    return 0;
  }

 private:
  // Runs a /command; false when the chat should end.
  bool command(const std::string& line) {
    const size_t space = line.find(' ');
    const std::string name = line.substr(0, space);
    const std::string arg = space == std::string::npos ? "" : trim(line.substr(space + 1));
    if (name == "/quit" || name == "/exit") return false;
    if (name == "/budget") {
      if (arg.empty() || arg == "auto") {
        report_error(invalid_argument("/budget needs a number of bits (2..8); /auto for the automatic budget"));
        return true;
      }
      report_outcome(apply_budget(args_.budget, arg, "/budget", session_));
    } else if (name == "/auto") {
      report_outcome(apply_budget(args_.budget, "auto", "/auto", session_));
    } else if (name == "/stats") {
      print_stats();
    } else if (name == "/reset") {
      session_.reset();
      session_.reset_stats();
      first_turn_ = true;
      pending_close_.clear();
      std::fputs("conversation reset\n", stderr);
    } else {
      report_error(invalid_argument("unknown command " + name + " (commands: " + kCommandHelp + ")"));
    }
    return true;
  }

  void report_outcome(const Status& status) {
    if (!status.ok()) {
      report_error(status);
      return;
    }
    std::fprintf(stderr, "budget: %.2f bits (%s: %s)\n", session_.budget_bits(), session_.governed() ? "auto" : "fixed",
                 session_.budget_reason().c_str());
  }

  Status answer(const std::string& user) {
    const std::string text = pending_close_ + template_.user_turn(user, first_turn_);
    EncodeOptions options;
    options.add_bos = first_turn_;
    options.parse_special = true;  // the format's markers become the model's special tokens where it has them
    MOBIQ_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, model_.tokenizer().encode(text, options));
    const SessionStats before = session_.stats();
    if (before.position + static_cast<int64_t>(tokens.size()) >= args_.context_size)
      return out_of_range("the conversation would not fit the " + std::to_string(args_.context_size) +
                          "-token context; /reset starts a new one");
    session_.reset_stats();  // the status line reports this answer's speed
    MOBIQ_RETURN_IF_ERROR(session_.feed(tokens));
    first_turn_ = false;
    pending_close_.clear();

    bool closed_by_marker = false;
    bool interrupted = false;
    MOBIQ_ASSIGN_OR_RETURN(
        GenerateResult result, session_.generate(args_.n_predict, sampler_, [&](int32_t id, const std::string& piece) {
          if (id == end_of_turn_id_) {  // fed already; not shown
            closed_by_marker = true;
            return false;
          }
          if (!model_.tokenizer().is_special(id)) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
          }
          if (take_interrupt()) {
            interrupted = true;
            return false;
          }
          return true;
        }));
    std::fputc('\n', stdout);
    std::fflush(stdout);
    // An answer the model did not close with its marker is closed before the next turn.
    pending_close_ = closed_by_marker ? template_.after_end_of_turn() : template_.close_answer();
    if (interrupted) std::fputs("[interrupted]\n", stderr);
    if (result.context_full) std::fputs("[context full: /reset starts a new conversation]\n", stderr);
    print_status_line();
    return Status::Ok();
  }

  void print_status_line() const {
    const SessionStats stats = session_.stats();
    const char* dim = interactive_ ? "\033[2m" : "";
    const char* plain = interactive_ ? "\033[0m" : "";
    std::fprintf(stderr, "%s[budget %.2f bits, %s: %s | %.2f bits/weight | %lld tokens, %.1f tok/s]%s\n", dim,
                 session_.budget_bits(), session_.governed() ? "auto" : "fixed", session_.budget_reason().c_str(),
                 stats.average_bits_per_weight, static_cast<long long>(stats.generated_tokens), stats.tokens_per_second(),
                 plain);
  }

  void print_stats() const {
    const SessionStats stats = session_.stats();
    std::fprintf(stderr,
                 "stats: position %d/%d | budget %.2f bits (%s: %s) | %s | %.2f bits/weight | %d planes resident, "
                 "%.1f MiB | last answer %lld tokens at %.1f tok/s, prompt %lld tokens at %.1f tok/s | %s format, %s\n",
                 stats.position, args_.context_size, session_.budget_bits(), session_.governed() ? "auto" : "fixed",
                 session_.budget_reason().c_str(), describe_spend(stats).c_str(), stats.average_bits_per_weight, session_.loaded_model().resident_planes(),
                 static_cast<double>(session_.loaded_model().resident_plane_bytes()) / (1024.0 * 1024.0),
                 static_cast<long long>(stats.generated_tokens), stats.tokens_per_second(),
                 static_cast<long long>(stats.prompt_tokens), stats.prompt_tokens_per_second(),
                 chat_format_name(template_.format()), session_.backend_name());
  }

  const ChatArgs& args_;
  const Model& model_;
  Session& session_;
  ChatTemplate template_;
  Sampler sampler_;
  bool interactive_;
  int32_t end_of_turn_id_;      // -1 when the vocabulary has no such token
  bool first_turn_ = true;      // the next user turn opens the conversation (BOS, system prompt)
  std::string pending_close_;   // what closes the last answer, fed with the next turn
};

int run_chat(const ChatArgs& args) {
  Result<Model> model = open_model(args.source);
  if (!model.ok()) return report_error(model.status());
  const std::optional<ChatFormat> format = resolve_chat_format(args.template_name, model->chat_template());
  if (!format) return report_error(invalid_argument("--template " + args.template_name));
  const Tokenizer& tokenizer = model->tokenizer();
  ChatTemplate chat_template(*format, args.system, tokenizer.token_text(tokenizer.bos_id()),
                             tokenizer.token_text(tokenizer.eos_id()));

  SessionOptions options;
  options.backend = args.backend.resolved();
  options.n_threads = args.backend.threads;
  options.context_size = args.context_size;
  options.max_batch = std::min(options.max_batch, args.context_size);
  Result<std::unique_ptr<Session>> session = Session::create(*model, options);
  if (!session.ok()) return report_error(session.status());

  install_interrupt_handler();
  const bool interactive = isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0;
  Chat chat(args, *model, **session, std::move(chat_template), interactive);
  if (const Status s = chat.start(); !s.ok()) return report_error(s);
  return chat.run();
}

}  // namespace

Command add_chat_command(CLI::App& root) {
  auto args = std::make_shared<ChatArgs>();
  CLI::App* app = root.add_subcommand("chat", "talk to a model, streaming, with a live precision budget");
  add_model_source_options(*app, args->source);
  add_backend_options(*app, args->backend);
  app->add_option("-c,--ctx-size", args->context_size, "context length in tokens (the whole conversation)")
      ->check(CLI::Range(8, 1 << 20))
      ->capture_default_str();
  // Any count is accepted: an answer also stops at a full context, with a note on stderr.
  app->add_option("-n,--n-predict", args->n_predict,
                  "most tokens per answer (-1: until the end of turn); a full context stops it first, with a note")
      ->check(CLI::Range(-1, std::numeric_limits<int32_t>::max()))
      ->capture_default_str();
  add_budget_options(*app, args->budget);
  app->add_option("--template", args->template_name,
                  "chat format: auto (from the model's chat template, else llama2), llama2, llama3, chatml")
      ->check(CLI::IsMember({"auto", "llama2", "llama3", "chatml"}))
      ->capture_default_str();
  app->add_option("--system", args->system, "system prompt");
  app->add_option("--temp", args->sampling.temperature, "temperature (0: greedy)")
      ->check(FiniteNumber)
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app->add_option("--top-k", args->sampling.top_k, "keep the k most likely tokens (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--top-p", args->sampling.top_p, "nucleus mass")->check(FiniteNumber)->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app->add_option("--seed", args->sampling.seed, "sampling seed")->capture_default_str();
  return {app, [args] { return run_chat(*args); }};
}

}  // namespace mobiq::cli
