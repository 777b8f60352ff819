#include "backends/cpu/cpu_backend.h"

#include <cstdlib>
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

namespace {

constexpr const char* kReferenceKernels = "reference";

// nullptr for the f32 reference kernels.
Result<const cpu::KernelSet*> kernel_set_named(const std::string& name) {
  if (name == kReferenceKernels) return static_cast<const cpu::KernelSet*>(nullptr);
  Result<const cpu::KernelSet*> set = cpu::kernel_set_by_name(name);
  if (set.ok()) return set;
  std::string known;
  for (const std::string& s : CpuBackend::kernel_sets()) known += (known.empty() ? "" : ", ") + s;
  return Status(set.status().code(), set.status().message() + " (this build and CPU have: " + known + ")");
}

Result<const cpu::KernelSet*> chosen_kernel_set(const std::string& name) {
  if (!name.empty()) return kernel_set_named(name);
  if (const char* forced = std::getenv("MOBIQ_KERNELS"); forced != nullptr && *forced != '\0') {
    Result<const cpu::KernelSet*> set = kernel_set_named(forced);
    if (!set.ok()) return set.status().with_context("MOBIQ_KERNELS");
    return set;
  }
  return cpu::available_kernel_sets().front();
}

}  // namespace

std::vector<std::string> CpuBackend::kernel_sets() {
  std::vector<std::string> names{kReferenceKernels};
  for (const cpu::KernelSet* set : cpu::available_kernel_sets()) names.emplace_back(set->name);
  return names;
}

Result<std::unique_ptr<CpuBackend>> CpuBackend::with_kernel_set(const std::string& name) {
  MOBIQ_RETURN_IF_ERROR(kernel_set_named(name).status());
  return std::unique_ptr<CpuBackend>(new CpuBackend(name));
}

Result<std::shared_ptr<LoadedModel>> CpuBackend::load(const Model& model) {
  MOBIQ_RETURN_IF_ERROR(supports(model));
  MOBIQ_ASSIGN_OR_RETURN(const cpu::KernelSet* kernels, chosen_kernel_set(kernel_set_));
  MOBIQ_ASSIGN_OR_RETURN(std::shared_ptr<cpu::CpuLoadedModel> loaded, cpu::CpuLoadedModel::load(model, kernels));
  return std::shared_ptr<LoadedModel>(std::move(loaded));
}

}  // namespace mobiq
