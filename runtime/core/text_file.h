#pragma once

#include <string>

#include "runtime/core/result.h"

namespace mobiq {

// The whole file as bytes; kNotFound / kIoError name the path.
Result<std::string> read_text_file(const std::string& path);

}  // namespace mobiq
