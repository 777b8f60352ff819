#include "backends/registry.h"

#include "backends/cpu/cpu_backend.h"
#if MOBIQ_HAS_CUDA
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_device.h"
#endif
#if MOBIQ_HAS_VULKAN
#include "backends/vulkan/vulkan_backend.h"
#include "backends/vulkan/vulkan_device.h"
#endif

namespace mobiq {
namespace {

struct BackendEntry {
  const char* name;
  // nullptr result: device absent. `automatic`: chosen by "auto", which skips a device slower than the CPU.
  std::unique_ptr<Backend> (*create)(bool automatic);
};

// Preference order: accelerators first, the CPU reference last.
const BackendEntry kBackends[] = {
#if MOBIQ_HAS_CUDA
    {"cuda", [](bool) -> std::unique_ptr<Backend> { return CudaBackend::open(-1); }},
#endif
#if MOBIQ_HAS_VULKAN
    {"vulkan", [](bool automatic) -> std::unique_ptr<Backend> { return VulkanBackend::open(-1, automatic); }},
#endif
    {"cpu", [](bool) { return std::unique_ptr<Backend>(new CpuBackend()); }},
};

}  // namespace

std::vector<std::string> compiled_backends() {
  std::vector<std::string> names;
  for (const auto& entry : kBackends) names.emplace_back(entry.name);
  return names;
}

Result<std::unique_ptr<Backend>> make_backend(const std::string& name, const Model& model) {
  if (name.starts_with("cpu:")) {
    MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<CpuBackend> cpu, CpuBackend::with_kernel_set(name.substr(4)));
    MOBIQ_RETURN_IF_ERROR(cpu->supports(model).with_context("cpu"));
    return std::unique_ptr<Backend>(std::move(cpu));
  }
#if MOBIQ_HAS_VULKAN
  if (name.starts_with("vulkan:")) {  // "vulkan:N": device N of `mobiq devices`
    const std::string index = name.substr(7);
    if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos)
      return invalid_argument("backend '" + name + "': expected vulkan:N with N a device number");
    std::unique_ptr<VulkanBackend> vulkan = VulkanBackend::open(std::stoi(index), false);
    if (!vulkan) return unsupported("vulkan: no device " + index + " (`mobiq devices` lists them)");
    MOBIQ_RETURN_IF_ERROR(vulkan->supports(model).with_context("vulkan"));
    return std::unique_ptr<Backend>(std::move(vulkan));
  }
#endif
  std::string reasons;
  for (const auto& entry : kBackends) {
    if (name != "auto" && name != entry.name) continue;
    std::unique_ptr<Backend> backend = entry.create(name == "auto");
    if (!backend) {
      reasons += std::string(entry.name) + ": no device; ";
      continue;
    }
    Status s = backend->supports(model);
    if (s.ok()) return backend;
    reasons += std::string(entry.name) + ": " + s.message() + "; ";
  }
  if (reasons.empty()) {
    std::string known;
    for (const auto& entry : kBackends) known += std::string(known.empty() ? "" : ", ") + entry.name;
    return invalid_argument("unknown backend '" + name + "' (this build has: " + known + ")");
  }
  return unsupported("no backend can run this model: " + reasons);
}

std::vector<std::string> backend_variants() {
  std::vector<std::string> names;
  for (const std::string& set : CpuBackend::kernel_sets()) names.push_back("cpu:" + set);
#if MOBIQ_HAS_VULKAN
  if (vulkan::preferred_device(vulkan::list_devices()) >= 0) names.push_back("vulkan");
#endif
#if MOBIQ_HAS_CUDA
  if (!cuda::list_devices().empty()) names.push_back("cuda");
#endif
  return names;
}

std::vector<std::string> describe_devices() {
  std::string sets;
  for (const std::string& set : CpuBackend::kernel_sets()) sets += (sets.empty() ? "" : ", ") + set;
  std::vector<std::string> lines{"cpu: the CPU backend (kernel sets: " + sets + ")"};
#if MOBIQ_HAS_VULKAN
  const std::vector<vulkan::DeviceInfo> devices = vulkan::list_devices();
  const int preferred = vulkan::preferred_device(devices);
  for (const vulkan::DeviceInfo& d : devices)
    lines.push_back("vulkan:" + std::to_string(d.index) + ": " + d.name + " (" + d.type_name() +
                    (d.has_compute_queue ? "" : ", no compute queue") +
                    (d.index == preferred ? "; what --backend vulkan picks" : "") + ")");
#endif
#if MOBIQ_HAS_CUDA
  for (const cuda::CudaDeviceInfo& d : cuda::list_devices())
    lines.push_back("cuda:" + std::to_string(d.index) + ": " + d.name + " (sm_" + std::to_string(d.major) +
                    std::to_string(d.minor) + (d.integrated ? ", integrated" : "") + ", " +
                    std::to_string(d.memory_bytes >> 20) + " MiB" + (d.index == 0 ? "; what --backend cuda picks" : "") +
                    ")");
#endif
  return lines;
}

Result<std::shared_ptr<LoadedModel>> load_model(const std::string& backend_name, const Model& model) {
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, make_backend(backend_name, model));
  return backend->load(model);
}

}  // namespace mobiq
