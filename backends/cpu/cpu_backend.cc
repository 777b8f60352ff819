#include "backends/cpu/cpu_backend.h"

#include <string>

#include "backends/cpu/cpu_loaded_model.h"

namespace mobiq {

Status CpuBackend::supports(const Model& model) const {
  const ModelConfig& c = model.config();
  if (c.head_dim % 2 != 0) return unsupported("head_dim " + std::to_string(c.head_dim) + " is odd (rope needs pairs)");
  if (c.n_kv_heads <= 0 || c.n_heads % c.n_kv_heads != 0)
    return unsupported("attention heads (" + std::to_string(c.n_heads) + ") not a multiple of kv heads (" +
                       std::to_string(c.n_kv_heads) + ")");
  if (static_cast<int>(model.weights().layers.size()) != c.n_layers)
    return internal_error("model has " + std::to_string(model.weights().layers.size()) + " layers, config says " +
                          std::to_string(c.n_layers));
  return Status::Ok();
}

std::vector<std::string> CpuBackend::kernel_sets() { return {"reference"}; }

Result<std::unique_ptr<CpuBackend>> CpuBackend::with_kernel_set(const std::string& name) {
  std::string known;
  for (const std::string& set : kernel_sets()) {
    if (set == name) return std::make_unique<CpuBackend>();
    known += (known.empty() ? "" : ", ") + set;
  }
  return invalid_argument("unknown CPU kernel set '" + name + "' (this build and CPU have: " + known + ")");
}

Result<std::shared_ptr<LoadedModel>> CpuBackend::load(const Model& model) {
  MOBIQ_RETURN_IF_ERROR(supports(model));
  MOBIQ_ASSIGN_OR_RETURN(std::shared_ptr<cpu::CpuLoadedModel> loaded, cpu::CpuLoadedModel::load(model));
  return std::shared_ptr<LoadedModel>(std::move(loaded));
}

}  // namespace mobiq
