#include "runtime/elastic/sysfs_value.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>

namespace mobiq {

std::optional<std::string_view> read_small_file(const std::string& path, std::span<char> buffer) {
  // O_NONBLOCK: a FIFO planted in the tree must not block the probe (its open waits for a writer, its
  // read for data); a sysfs or procfs attribute reads the same with it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  size_t filled = 0;
  bool failed = false;
  while (filled < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + filled, buffer.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) failed = true;  // EISDIR, EIO, EAGAIN (a FIFO), or a driver that refuses the read
    if (n <= 0) break;
    filled += static_cast<size_t>(n);
  }
  ::close(fd);
  if (failed) return std::nullopt;
  return std::string_view(buffer.data(), filled);
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::optional<int64_t> parse_integer(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::string_view> read_trimmed(const std::string& path, std::span<char> buffer) {
  const auto text = read_small_file(path, buffer);
  if (!text) return std::nullopt;
  return trim(*text);
}

std::optional<int64_t> read_integer(const std::string& path) {
  std::array<char, 64> buffer;  // the longest value read this way is a 20-digit byte count
  const auto text = read_small_file(path, buffer);
  if (!text) return std::nullopt;
  return parse_integer(*text);
}

}  // namespace mobiq
