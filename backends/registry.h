// Which backends this build has, and picking one at run time. Registration is an explicit table
// (no static initializers, which static libraries silently drop).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"

namespace mobiq {

// Names of the backends compiled in, in preference order ("cpu" is always last and always there).
std::vector<std::string> compiled_backends();

// "auto" picks the first compiled backend whose device is present and which supports `model`.
// "cpu:SET" is the CPU backend forced to one kernel set ("cpu:reference": the portable oracle).
Result<std::unique_ptr<Backend>> make_backend(const std::string& name, const Model& model);

// Every backend and CPU kernel set this build has and this machine can run, by the name make_backend
// takes ("cpu:reference", "cpu:avx2", ...): what the conformance suite runs against "cpu:reference".
std::vector<std::string> backend_variants();

// One line per device a backend can run on, by the name make_backend takes: "cpu: kernel sets
// reference", "vulkan:0: NVIDIA ... (discrete GPU)", ...
std::vector<std::string> describe_devices();

// make_backend, then Backend::load: `model` placed on the chosen backend, ready for executors.
Result<std::shared_ptr<LoadedModel>> load_model(const std::string& backend_name, const Model& model);

}  // namespace mobiq
