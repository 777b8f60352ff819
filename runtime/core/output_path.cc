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

}  // namespace mobiq
