#include "tools/mobiq/common.h"

#include <unistd.h>

#include <cstdio>

#include "backends/registry.h"

namespace mobiq::cli {

void add_model_source_options(CLI::App& app, ModelSource& source) {
  auto* m = app.add_option("-m,--model", source.mbq_path, "a .mbq model file")->check(CLI::ExistingFile);
  auto* hf = app.add_option("--hf", source.hf_dir, "an unquantized Hugging Face checkpoint directory")
                 ->check(CLI::ExistingDirectory);
  m->excludes(hf);
  app.add_flag("--no-verify", source.no_verify, "skip the XXH3 checksums of the model's segments");
}

Result<Model> open_model(const ModelSource& source) {
  if (!source.hf_dir.empty()) return Model::open_hf(source.hf_dir);
  if (source.mbq_path.empty()) return invalid_argument("no model: give -m FILE.mbq or --hf DIR");
  MbqOpenOptions options;
  options.verify_checksums = !source.no_verify;
  return Model::open_mbq(source.mbq_path, options);
}

void add_backend_options(CLI::App& app, BackendChoice& choice) {
  std::string names;
  for (const std::string& name : compiled_backends()) names += name + ", ";
  app.add_option("--backend", choice.name, names + "or auto (the best backend present; never a CPU Vulkan driver)")
      ->capture_default_str();
  app.add_option("--device", choice.device, "Vulkan device number (`mobiq devices` lists them)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-t,--threads", choice.threads, "CPU threads (0: one per core)")->check(CLI::NonNegativeNumber);
}

Result<std::unique_ptr<Executor>> create_executor(const Model& model, const BackendChoice& choice,
                                                  int32_t context_size, int32_t max_batch) {
  MOBIQ_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> loaded, load_model(choice.resolved(), model));
  ExecutorOptions options;
  options.context_size = context_size;
  options.max_batch = max_batch;
  options.n_threads = choice.threads;
  return loaded->create_executor(options);
}

Result<std::vector<int32_t>> resolve_slices(const Model& model, const std::vector<int32_t>& slices) {
  const int max_slices = model.max_slices();
  std::vector<int32_t> out = slices;
  if (max_slices == 0) {
    if (!out.empty()) return invalid_argument("--slices/--bits need a sliced .mbq model; --hf runs unquantized");
    return std::vector<int32_t>{4};
  }
  if (out.empty())
    for (int k = 1; k <= max_slices; ++k) out.push_back(k);
  for (int32_t k : out)
    if (k < 1 || k > max_slices)
      return out_of_range("slice count " + std::to_string(k) + " outside 1.." + std::to_string(max_slices));
  return out;
}

int report_error(const Status& status) {
  std::fprintf(stderr, "mobiq: %s\n", status.to_string().c_str());
  return 1;
}

Progress::Progress(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) != 0) {}

void Progress::update(int64_t done, int64_t total) {
  if (!enabled_) return;
  std::fprintf(stderr, "\r%s %lld/%lld (%3.0f%%)", label_.c_str(), static_cast<long long>(done),
               static_cast<long long>(total), total > 0 ? 100.0 * done / total : 0.0);
  std::fflush(stderr);
}

void Progress::finish() {
  if (enabled_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace mobiq::cli
