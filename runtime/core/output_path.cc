#include "runtime/core/output_path.h"

#include <filesystem>
#include <system_error>

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

}  // namespace mobiq
