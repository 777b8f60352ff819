// The portable C++ reference backend: every op written plainly, multithreaded, and the oracle the
// other backends are tested against.
#pragma once

#include "backends/backend.h"

namespace mobiq {

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "cpu"; }
  Status supports(const Model& model) const override;
  Result<std::unique_ptr<Executor>> create_executor(const Model& model, const ExecutorOptions& options) override;
};

}  // namespace mobiq
