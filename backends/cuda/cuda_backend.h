// The CUDA backend: the same decoder as the CPU reference (backends/cpu), every op a CUDA kernel
// (backends/cuda/ops), weights uploaded once per model. README.md says what is done and tested.
#pragma once

#include <memory>

#include "backends/backend.h"

namespace mobiq {

class CudaBackend final : public Backend {
 public:
  // Device `index`, or device 0 for -1. nullptr when there is no such device.
  static std::unique_ptr<CudaBackend> open(int index);

  const char* name() const override { return "cuda"; }
  Status supports(const Model& model) const override;
  Result<std::shared_ptr<LoadedModel>> load(const Model& model) override;
  int device() const { return device_; }

 private:
  explicit CudaBackend(int device) : device_(device) {}
  int device_;
};

}  // namespace mobiq
