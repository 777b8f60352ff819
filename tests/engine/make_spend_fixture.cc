// The spend_fixture_calibrate test: writes the calibrated fixture the spend-control tests read, anew
// every ctest run, so a change to calibration or to the file format never meets a stale file.
#include <cstdio>
#include <filesystem>

#include "tests/support/spend_fixture.h"

int main() {
  if (!mobiq::test::have_shared()) {
    std::printf("no ../shared: the spend-control tests skip\n");
    return 0;
  }
  std::filesystem::remove(mobiq::test::spend_fixture_path());
  const mobiq::Status s = mobiq::test::make_spend_fixture();
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("%s\n", mobiq::test::spend_fixture_path().c_str());
  return 0;
}
