#include "runtime/core/text_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/core/regular_file.h"

namespace mobiq {

Result<std::string> read_text_file(const std::string& path) {
  MOBIQ_ASSIGN_OR_RETURN(const int fd, open_regular_file(path));
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return io_error(path + ": cannot read: " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace mobiq
