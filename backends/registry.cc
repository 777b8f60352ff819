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

}  // namespace mobiq
