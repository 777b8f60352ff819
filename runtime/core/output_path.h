// Commands never write over what they read: an output path that already names one of the command's
// inputs (the same file through any path or link) is refused before anything is written.
#pragma once

#include <string>

#include "runtime/core/status.h"

namespace mobiq {

// invalid_argument "refusing to write OUTPUT: it is WHAT" when `output` exists and is `input`.
Status refuse_output_over_input(const std::string& output, const std::string& input, const std::string& what);

}  // namespace mobiq
