// A model loaded on the CPU. With the reference kernels the weights are read in place from the caller's
// Model (the file mapping) and residency gives plane pages back to the system. With a SIMD kernel set
// every sliced linear is repacked once into row blocks (backends/cpu/kernels/packed_sliced.h) and the
// file's plane pages are given back, so the packed copy is the only one in memory; residency then
// frees and re-packs packed planes. Shared by every executor (session) of the model.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "backends/backend.h"
#include "backends/cpu/cpu_executor.h"
#include "backends/cpu/kernels/kernels.h"

namespace mobiq::cpu {

// Index of each linear of a layer in LayerWeights order (q, k, v, o, gate, up, down).
inline constexpr int kLinearsPerLayer = 7;

class CpuLoadedModel final : public LoadedModel, public std::enable_shared_from_this<CpuLoadedModel> {
 public:
  // `model` must outlive the result (and every executor made from it). `kernels`: the SIMD set the
  // executors use, nullptr for the f32 reference math (runtime/math).
  static Result<std::shared_ptr<CpuLoadedModel>> load(const Model& model, const KernelSet* kernels);

  const char* backend_name() const override { return "cpu"; }
  const Model& model() const override { return model_; }
  bool has_routers() const { return has_routers_; }
  const KernelSet* kernels() const { return kernels_; }
  // With a kernel set: the packed linear `index` (kLinearsPerLayer per layer) of `layer`, and the
  // output head when the file stores it 8-bit (nullptr otherwise: the reference dense kernels run).
  const PackedSliced& packed(int layer, int index) const { return packed_[layer * kLinearsPerLayer + index]; }
  const PackedDenseQ8* packed_head() const { return head_ ? &*head_ : nullptr; }

  Result<std::unique_ptr<Executor>> create_executor(const ExecutorOptions& options) override;
  // The CPU executor itself, for what only the CPU offers (activation observers).
  Result<std::unique_ptr<CpuExecutor>> create_cpu_executor(const ExecutorOptions& options);

  Status set_resident_planes(int planes) override;
  int resident_planes() const override { return resident_; }
  uint64_t resident_plane_bytes() const override;

  // Held shared by a forward pass and exclusively by set_resident_planes, so planes are never freed
  // under a running kernel of another session.
  std::shared_mutex& residency_mutex() const { return residency_mutex_; }

 private:
  CpuLoadedModel(const Model& model, const KernelSet* kernels);
  Status pack();

  const Model& model_;
  const KernelSet* kernels_;
  bool has_routers_;
  int resident_;                       // planes kept; model_.max_slices() at load (0 for a dense model)
  std::vector<PackedSliced> packed_;   // [layers * kLinearsPerLayer] with a kernel set and a sliced model
  std::optional<PackedDenseQ8> head_;  // with a kernel set and an 8-bit output head
  mutable std::shared_mutex residency_mutex_;
};

}  // namespace mobiq::cpu
