// Where the end-to-end tests find ../shared (models and texts); they skip when it is absent.
#pragma once

#include <filesystem>
#include <string>

namespace mobiq::test {

inline std::filesystem::path shared_dir() { return MOBIQ_SHARED_DIR; }
inline std::filesystem::path fixture_a_dir() { return shared_dir() / "models" / "fixture-a"; }
inline std::filesystem::path shared_data(const std::string& name) { return shared_dir() / "data" / name; }
inline bool have_shared() { return std::filesystem::exists(fixture_a_dir() / "config.json"); }

}  // namespace mobiq::test

#define MOBIQ_REQUIRE_SHARED()                                                        \
  do {                                                                                \
    if (!::mobiq::test::have_shared())                                                \
      GTEST_SKIP() << "needs ../shared (fixture-a); not found at " << MOBIQ_SHARED_DIR; \
  } while (0)
