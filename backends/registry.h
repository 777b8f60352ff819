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
Result<std::unique_ptr<Backend>> make_backend(const std::string& name, const Model& model);

}  // namespace mobiq
