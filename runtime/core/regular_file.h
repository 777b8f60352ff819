// Opening a file the runtime will read whole. Only regular files are accepted, and the check comes
// before the first read: opening a FIFO for reading blocks until a writer appears (forever, for
// `mobiq inspect some-fifo`), and a character device can stream without end.
#pragma once

#include <string>

#include "runtime/core/result.h"

namespace mobiq {

// A read-only, close-on-exec descriptor the caller closes. kNotFound for a missing path;
// kInvalidArgument "PATH: is a directory, not a file" / "PATH: is not a regular file (a FIFO)";
// kIoError for other failures, with the system's reason.
Result<int> open_regular_file(const std::string& path);

}  // namespace mobiq
