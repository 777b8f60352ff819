#include "backends/cuda/cuda_backend.h"

#include <algorithm>
#include <string>

#include "backends/cuda/cuda_device.h"
#include "backends/cuda/cuda_loaded_model.h"

namespace mobiq {
namespace {

// Widest input the kernels hold in shared memory (f32, the opt-in limit of sm_80/sm_87 is 163 KiB).
constexpr int64_t kMaxInput = 32768;

}  // namespace

std::unique_ptr<CudaBackend> CudaBackend::open(int index) {
  const std::vector<cuda::CudaDeviceInfo> devices = cuda::list_devices();
  if (index < 0) index = 0;
  if (index >= static_cast<int>(devices.size())) return nullptr;
  return std::unique_ptr<CudaBackend>(new CudaBackend(index));
}

Status CudaBackend::supports(const Model& model) const {
  const ModelConfig& c = model.config();
  if (c.head_dim % 2 != 0 || c.head_dim > 256)
    return unsupported("head_dim " + std::to_string(c.head_dim) + " (the cuda kernels take even head_dim <= 256)");
  if (c.n_kv_heads <= 0 || c.n_heads % c.n_kv_heads != 0)
    return unsupported("attention heads (" + std::to_string(c.n_heads) + ") not a multiple of kv heads (" +
                       std::to_string(c.n_kv_heads) + ")");
  if (static_cast<int>(model.weights().layers.size()) != c.n_layers)
    return internal_error("model has " + std::to_string(model.weights().layers.size()) + " layers, config says " +
                          std::to_string(c.n_layers));
  if (std::max({c.hidden_size, c.q_dim(), c.intermediate_size}) > kMaxInput)
    return unsupported("a linear wider than " + std::to_string(kMaxInput) + " inputs");
  for (const LayerWeights& layer : model.weights().layers) {
    if (layer.q.is_sliced() != (model.max_slices() > 0))
      return unsupported("layers mix dense and sliced linears");
    for (const RouterWeights& router : layer.routers)
      if (router.hidden > 8192) return unsupported("router hidden width " + std::to_string(router.hidden) + " > 8192");
  }
  return Status::Ok();
}

Result<std::shared_ptr<LoadedModel>> CudaBackend::load(const Model& model) {
  MOBIQ_RETURN_IF_ERROR(supports(model));
  MOBIQ_ASSIGN_OR_RETURN(std::shared_ptr<cuda::CudaLoadedModel> loaded, cuda::CudaLoadedModel::load(model, device_));
  return std::shared_ptr<LoadedModel>(std::move(loaded));
}

}  // namespace mobiq
