#include "backends/cpu/cpu_loaded_model.h"

#include <new>
#include <string>

#include "backends/cpu/plane_pages.h"
#include "runtime/core/resident_memory.h"

namespace mobiq::cpu {

CpuLoadedModel::CpuLoadedModel(const Model& model)
    : model_(model),
      has_routers_(has_all_routers(model.weights())),
      resident_(model.max_slices()) {}

Result<std::shared_ptr<CpuLoadedModel>> CpuLoadedModel::load(const Model& model) {
  try {
    return std::shared_ptr<CpuLoadedModel>(new CpuLoadedModel(model));
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot allocate the loaded model");
  }
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
    return invalid_argument("resident planes " + std::to_string(planes) + " is outside 1.." +
                            std::to_string(model_.max_slices()));
  if (planes == resident_) return Status::Ok();
  const auto& regions = model_.plane_regions();
  if (planes < resident_) {
    for (int p = planes; p < kMaxPlanes; ++p) MOBIQ_RETURN_IF_ERROR(give_back_pages(regions[p]));
  } else {
    for (int p = resident_; p < planes; ++p) MOBIQ_RETURN_IF_ERROR(prefetch_pages(regions[p]));
  }
  resident_ = planes;
  return Status::Ok();
}

uint64_t CpuLoadedModel::resident_plane_bytes() const {
  uint64_t bytes = 0;
  for (const auto& region : model_.plane_regions()) bytes += resident_bytes_of(region);
  return bytes;
}

}  // namespace mobiq::cpu
