#include "backends/cpu/cpu_loaded_model.h"

#include <mutex>
#include <new>
#include <string>

#include "backends/cpu/plane_pages.h"
#include "runtime/core/resident_memory.h"

namespace mobiq::cpu {
namespace {

const LinearWeights& linear_of(const LayerWeights& layer, int index) {
  const LinearWeights* linears[kLinearsPerLayer] = {&layer.q, &layer.k, &layer.v, &layer.o,
                                                    &layer.gate, &layer.up, &layer.down};
  return *linears[index];
}

}  // namespace

CpuLoadedModel::CpuLoadedModel(const Model& model, const KernelSet* kernels)
    : model_(model), kernels_(kernels), has_routers_(has_all_routers(model.weights())), resident_(model.max_slices()) {}

Result<std::shared_ptr<CpuLoadedModel>> CpuLoadedModel::load(const Model& model, const KernelSet* kernels) {
  std::shared_ptr<CpuLoadedModel> loaded;
  try {
    loaded.reset(new CpuLoadedModel(model, kernels));
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot allocate the loaded model");
  }
  if (kernels != nullptr) MOBIQ_RETURN_IF_ERROR(loaded->pack().with_context("loading on the cpu"));
  return loaded;
}

// Packs every sliced linear (and an 8-bit head) once, then gives the file's plane pages back: the
// kernels read only the packed copies from now on.
Status CpuLoadedModel::pack() {
  const ModelWeights& w = model_.weights();
  if (model_.max_slices() > 0) {
    try {
      packed_.reserve(w.layers.size() * kLinearsPerLayer);
    } catch (const std::bad_alloc&) {
      return Status(ErrorCode::kOutOfMemory, "cannot allocate the packed linears");
    }
    for (size_t l = 0; l < w.layers.size(); ++l)
      for (int i = 0; i < kLinearsPerLayer; ++i) {
        const LinearWeights& linear = linear_of(w.layers[l], i);
        if (!linear.is_sliced()) return unsupported("layer " + std::to_string(l) + " mixes dense and sliced linears");
        MOBIQ_ASSIGN_OR_RETURN(PackedSliced packed, PackedSliced::pack(linear.sliced));
        packed_.push_back(std::move(packed));
      }
    for (const auto& region : model_.plane_regions()) MOBIQ_RETURN_IF_ERROR(give_back_pages(region));
  }
  if (w.output.dtype == DType::kQ8) {
    MOBIQ_ASSIGN_OR_RETURN(PackedDenseQ8 head, PackedDenseQ8::pack(w.output));
    head_ = std::move(head);
  }
  return Status::Ok();
}

Result<std::unique_ptr<CpuExecutor>> CpuLoadedModel::create_cpu_executor(const ExecutorOptions& options) {
  if (options.context_size <= 0 || options.max_batch <= 0)
    return invalid_argument("context size and batch must be positive");
  try {
    return std::make_unique<CpuExecutor>(shared_from_this(), options);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot allocate the KV cache and activations for a context of " +
                                               std::to_string(options.context_size) + " positions");
  }
}

Result<std::unique_ptr<Executor>> CpuLoadedModel::create_executor(const ExecutorOptions& options) {
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<CpuExecutor> executor, create_cpu_executor(options));
  return std::unique_ptr<Executor>(std::move(executor));
}

Status CpuLoadedModel::set_resident_planes(int planes) {
  if (model_.plane_regions()[0].empty())
    return unsupported("the model has no slice planes in a file mapping to keep or give back");
  if (planes < 1 || planes > model_.max_slices())
    return out_of_range("resident planes " + std::to_string(planes) + " is outside 1.." +
                            std::to_string(model_.max_slices()));
  std::unique_lock lock(residency_mutex_);
  if (planes == resident_) return Status::Ok();
  const auto& regions = model_.plane_regions();
  if (!packed_.empty()) {
    if (planes < resident_) {
      for (PackedSliced& p : packed_) p.release_planes_from(planes);
    } else {
      const ModelWeights& w = model_.weights();
      for (size_t i = 0; i < packed_.size(); ++i)
        MOBIQ_RETURN_IF_ERROR(packed_[i].restore_planes(
            linear_of(w.layers[i / kLinearsPerLayer], static_cast<int>(i % kLinearsPerLayer)).sliced, planes));
      // Re-packing read the file's pages of these planes; they are not needed again.
      for (int p = resident_; p < planes; ++p) MOBIQ_RETURN_IF_ERROR(give_back_pages(regions[p]));
    }
  } else if (planes < resident_) {
    for (int p = planes; p < kMaxPlanes; ++p) MOBIQ_RETURN_IF_ERROR(give_back_pages(regions[p]));
  } else {
    for (int p = resident_; p < planes; ++p) MOBIQ_RETURN_IF_ERROR(prefetch_pages(regions[p]));
  }
  resident_ = planes;
  return Status::Ok();
}

uint64_t CpuLoadedModel::resident_plane_bytes() const {
  if (!packed_.empty()) {
    // The packed planes are anonymous memory the process wrote: all of them are resident.
    std::shared_lock lock(residency_mutex_);
    uint64_t bytes = 0;
    for (const PackedSliced& p : packed_) bytes += static_cast<uint64_t>(p.plane_bytes()) * p.resident_planes();
    return bytes;
  }
  uint64_t bytes = 0;
  for (const auto& region : model_.plane_regions()) bytes += resident_bytes_of(region);
  return bytes;
}

}  // namespace mobiq::cpu
