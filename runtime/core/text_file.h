#pragma once

#include <string>

#include "runtime/core/result.h"

namespace mobiq {

// The whole file as bytes. Only regular files (see regular_file.h): kNotFound, kInvalidArgument for a
// directory or a FIFO, kIoError; each names the path.
Result<std::string> read_text_file(const std::string& path);

}  // namespace mobiq
