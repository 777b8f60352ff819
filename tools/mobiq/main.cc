// mobiq: quantize, inspect and run elastic-precision LLMs. Errors go to stderr with a non-zero
// exit status; --json output is one JSON document on stdout.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <vector>

#include "runtime/core/interrupt_cleanup.h"
#include "tools/mobiq/command.h"

int main(int argc, char** argv) {
  CLI::App root{"mobiq: elastic-precision LLM runtime (MoBiQuant slices)", "mobiq"};
  root.require_subcommand(1);
  root.set_version_flag("--version", MOBIQ_VERSION);
  const std::vector<mobiq::cli::Command> commands = {
      mobiq::cli::add_quantize_command(root),   mobiq::cli::add_run_command(root),
      mobiq::cli::add_perplexity_command(root), mobiq::cli::add_tokenize_command(root),
      mobiq::cli::add_inspect_command(root),    mobiq::cli::add_bench_command(root),
      mobiq::cli::add_chat_command(root),      mobiq::cli::add_devices_command(root),
  };
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return root.exit(e);  // prints help (exit 0) or the parse error (non-zero)
  }
  // Ctrl-C or SIGTERM during `quantize` or a plot removes the half-written temporary file.
  mobiq::install_interrupt_cleanup();
  for (const auto& command : commands)
    if (command.app->parsed()) return command.run();
  std::fprintf(stderr, "mobiq: no command given (try --help)\n");
  return 2;
}
