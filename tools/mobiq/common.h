// What several subcommands share: opening a model from -m or --hf, picking a backend, parsing
// slice/bit lists, reading text files, reporting errors and progress.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "runtime/core/result.h"
#include "runtime/core/text_file.h"
#include "runtime/model/model.h"

namespace mobiq::cli {

struct ModelSource {
  std::string mbq_path;  // -m/--model
  std::string hf_dir;    // --hf
  bool no_verify = false;
};
// Adds -m/--model, --hf and --no-verify; exactly one of -m / --hf is required.
void add_model_source_options(CLI::App& app, ModelSource& source);
Result<Model> open_model(const ModelSource& source);

struct BackendChoice {
  std::string name = "auto";
  int32_t threads = 0;
  int32_t device = -1;  // --device N: that Vulkan device (`mobiq devices`); -1: the backend's choice
  // The name the registry takes: "vulkan:N" for --backend vulkan --device N.
  std::string resolved() const { return device >= 0 && name == "vulkan" ? "vulkan:" + std::to_string(device) : name; }
};
void add_backend_options(CLI::App& app, BackendChoice& choice);
Result<std::unique_ptr<Executor>> create_executor(const Model& model, const BackendChoice& choice,
                                                  int32_t context_size, int32_t max_batch);

// Slice counts from "--slices 1,2"; an empty list: every slice count the model holds (one pass,
// dense, for an unquantized checkpoint).
Result<std::vector<int32_t>> resolve_slices(const Model& model, const std::vector<int32_t>& slices);

// "mobiq: <status>" on stderr; returns the exit status for that error.
int report_error(const Status& status);

// A one-line progress indicator on stderr, drawn only when stderr is a terminal.
class Progress {
 public:
  explicit Progress(std::string label);
  void update(int64_t done, int64_t total);
  void finish();

 private:
  std::string label_;
  bool enabled_;
};

}  // namespace mobiq::cli
