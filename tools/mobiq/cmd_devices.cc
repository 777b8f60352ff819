// mobiq devices: the backends this build has and the devices each can run on (the names --backend
// and --device take).
#include <cstdio>

#include "backends/registry.h"
#include "tools/mobiq/command.h"

namespace mobiq::cli {

Command add_devices_command(CLI::App& root) {
  CLI::App* app = root.add_subcommand("devices", "List the backends and devices this build can run on");
  return {app, [] {
            for (const std::string& line : describe_devices()) std::printf("%s\n", line.c_str());
            return 0;
          }};
}

}  // namespace mobiq::cli
