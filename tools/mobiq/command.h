// A `mobiq` subcommand: its CLI11 parser and the action run when the user picked it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace mobiq::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns the process exit status
};

Command add_quantize_command(CLI::App& root);
Command add_run_command(CLI::App& root);
Command add_perplexity_command(CLI::App& root);
Command add_tokenize_command(CLI::App& root);
Command add_inspect_command(CLI::App& root);
Command add_bench_command(CLI::App& root);
Command add_chat_command(CLI::App& root);
Command add_devices_command(CLI::App& root);

}  // namespace mobiq::cli
