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
  // The kernel set named by the environment variable MOBIQ_KERNELS, else the best this CPU runs.
  CpuBackend() = default;
  // One kernel set by name (kernel_sets()); an error for a set this build or CPU lacks.
  static Result<std::unique_ptr<CpuBackend>> with_kernel_set(const std::string& name);
  // The kernel sets this build has and this CPU can run: "reference" (the f32 oracle, reading the
  // file in place), then the int8 sets of backends/cpu/kernels best first ("avx512-vnni", "avx2",
  // "neon-i8mm", "neon-dotprod", the portable "scalar").
  static std::vector<std::string> kernel_sets();

  const char* name() const override { return "cpu"; }
  Status supports(const Model& model) const override;
  Result<std::shared_ptr<LoadedModel>> load(const Model& model) override;

 private:
  explicit CpuBackend(std::string kernel_set) : kernel_set_(std::move(kernel_set)) {}
  std::string kernel_set_;  // empty: MOBIQ_KERNELS or the best
};

}  // namespace mobiq
