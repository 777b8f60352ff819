#include "runtime/core/output_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "runtime/core/interrupt_cleanup.h"

namespace mobiq {

Status refuse_output_over_input(const std::string& output, const std::string& input, const std::string& what) {
  std::error_code ec;  // a path that does not exist or cannot be read is not the input
  if (std::filesystem::exists(output, ec) && std::filesystem::equivalent(output, input, ec))
    return invalid_argument("refusing to write " + output + ": it is " + what);
  return Status::Ok();
}

Result<std::vector<std::string>> directory_and_entries(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> paths{dir};
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) paths.push_back(entry.path().string());
  if (ec) return io_error("cannot list " + dir + ": " + ec.message());
  return paths;
}

Status refuse_output_over_inputs(const std::string& output, const std::vector<std::string>& inputs) {
  for (const std::string& input : inputs)
    MOBIQ_RETURN_IF_ERROR(refuse_output_over_input(output, input, "an input (" + input + ")"));
  return Status::Ok();
}

Status check_output_writable(const std::string& output) {
  if (output.empty()) return invalid_argument("output path is empty");
  struct stat st {};
  if (::stat(output.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return invalid_argument(output + ": is a directory, not a file path");
    if (!S_ISREG(st.st_mode)) return invalid_argument(output + ": exists and is not a regular file; refusing to replace it");
  }
  std::string dir = std::filesystem::path(output).parent_path().string();
  if (dir.empty()) dir = ".";
  if (::stat(dir.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return not_found("output directory " + dir + " does not exist");
    return io_error("output directory " + dir + ": " + std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) return not_found("output directory " + dir + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return io_error("cannot write into " + dir + ": " + std::strerror(errno));
  return Status::Ok();
}

Status write_file_replacing(const std::string& path, const std::string& bytes) {
  MOBIQ_RETURN_IF_ERROR(check_output_writable(path));
  std::string temp = path + ".partial-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return io_error("cannot create a temporary file beside " + path + ": " + std::strerror(errno));
  const int slot = register_temp_file(temp);
  ::fchmod(fd, 0644);
  auto fail = [&](const std::string& what) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    ::unlink(temp.c_str());
    unregister_temp_file(slot);
    return io_error(what + " " + temp + ": " + why);
  };
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot sync");
  if (::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    unregister_temp_file(slot);
    return io_error("cannot close " + temp + ": " + why);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    unregister_temp_file(slot);
    return io_error("cannot rename " + temp + " to " + path + ": " + why);
  }
  unregister_temp_file(slot);
  return Status::Ok();
}

}  // namespace mobiq
