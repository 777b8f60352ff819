// A model loaded on the CPU: the weights stay in the caller's Model (the file mapping, read in place),
// residency gives plane pages back to the system. Shared by every executor (session) of the model.
#pragma once

#include <memory>

#include "backends/backend.h"
#include "backends/cpu/cpu_executor.h"

namespace mobiq::cpu {

class CpuLoadedModel final : public LoadedModel, public std::enable_shared_from_this<CpuLoadedModel> {
 public:
  // `model` must outlive the result (and every executor made from it).
  static Result<std::shared_ptr<CpuLoadedModel>> load(const Model& model);

  const char* backend_name() const override { return "cpu"; }
  const Model& model() const override { return model_; }
  bool has_routers() const { return has_routers_; }
  Result<std::unique_ptr<Executor>> create_executor(const ExecutorOptions& options) override;
  // The CPU executor itself, for what only the CPU offers (activation observers).
  Result<std::unique_ptr<CpuExecutor>> create_cpu_executor(const ExecutorOptions& options);

  Status set_resident_planes(int planes) override;
  int resident_planes() const override { return resident_; }
  uint64_t resident_plane_bytes() const override;

 private:
  explicit CpuLoadedModel(const Model& model);

  const Model& model_;
  bool has_routers_;
  int resident_;  // planes kept; model_.max_slices() at load (0 for a dense model)
};

}  // namespace mobiq::cpu
