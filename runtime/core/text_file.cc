#include "runtime/core/text_file.h"

#include <fstream>
#include <sstream>

namespace mobiq {

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return io_error("cannot read " + path);
  return text.str();
}

}  // namespace mobiq
