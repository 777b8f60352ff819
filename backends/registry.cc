#include "backends/registry.h"

#include "backends/cpu/cpu_backend.h"

namespace mobiq {
namespace {

struct BackendEntry {
  const char* name;
  std::unique_ptr<Backend> (*create)();  // nullptr result: device absent
};

// Preference order: accelerators first, the CPU reference last.
const BackendEntry kBackends[] = {
    {"cpu", [] { return std::unique_ptr<Backend>(new CpuBackend()); }},
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
  std::string reasons;
  for (const auto& entry : kBackends) {
    if (name != "auto" && name != entry.name) continue;
    std::unique_ptr<Backend> backend = entry.create();
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
  return names;
}

Result<std::shared_ptr<LoadedModel>> load_model(const std::string& backend_name, const Model& model) {
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, make_backend(backend_name, model));
  return backend->load(model);
}

}  // namespace mobiq
