// The CPU backend: the portable reference kernels (the oracle the other backends are tested against)
// and the SIMD kernel sets chosen at run time from the CPU's features.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"

namespace mobiq {

class CpuBackend final : public Backend {
 public:
  // The best kernel set this CPU runs.
  CpuBackend() = default;
  // One kernel set by name (kernel_sets()); kInvalidArgument for a set this build or CPU lacks.
  static Result<std::unique_ptr<CpuBackend>> with_kernel_set(const std::string& name);
  // The kernel sets this build has and this CPU can run, the portable "reference" first.
  static std::vector<std::string> kernel_sets();

  const char* name() const override { return "cpu"; }
  Status supports(const Model& model) const override;
  Result<std::shared_ptr<LoadedModel>> load(const Model& model) override;
};

}  // namespace mobiq
