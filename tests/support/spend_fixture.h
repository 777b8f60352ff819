// A calibrated fixture-a for the routing, spend-control and Vulkan tests, made once per ctest run: the
// spend_fixture_calibrate test (FIXTURES_SETUP) writes it anew into the build directory and the tests
// that read it require that fixture. Run alone, a test binary makes it itself when it is missing.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "runtime/core/status.h"
#include "tests/support/shared_data.h"
#include "tools/quantizer/calibration/calibrator.h"

namespace mobiq::test {

inline std::filesystem::path spend_fixture_path() {
  return std::filesystem::path(MOBIQ_BINARY_DIR) / "tests" / "spend-fixture-a.mbq";
}

// Calibrates fixture-a on the first 4 x 128 tokens of calib.txt (about two minutes of CPU): small,
// but a real budget table, so the texts the tests read are unlike its calibration text.
inline Status make_spend_fixture() {
  const std::filesystem::path path = spend_fixture_path();
  if (std::filesystem::exists(path)) return Status::Ok();
  std::filesystem::create_directories(path.parent_path());
  CalibrateOptions o;
  o.input_dir = fixture_a_dir().string();
  o.calib_path = shared_data("calib.txt").string();
  // Written beside the final name and renamed, so a concurrent reader never sees half a file.
  const std::filesystem::path partial = path.string() + "." + std::to_string(::getpid());
  o.output_path = partial.string();
  o.windows = 4;
  o.window_tokens = 128;
  o.samples_per_window = 128;
  o.sensitivity_windows = 1;
  o.router_epochs = 10;
  if (Status s = calibrate_hf_to_mbq(o); !s.ok()) return s;
  std::filesystem::rename(partial, path);
  return Status::Ok();
}

}  // namespace mobiq::test
