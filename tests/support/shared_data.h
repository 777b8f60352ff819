// Where the end-to-end tests find their models and texts. fixture-a comes from ../shared when it is
// there and from the repository's own models/fixture-a otherwise (the same files), so a clone without
// ../shared still runs every test that needs only fixture-a; calib.txt falls back the same way.
// Files only ../shared has (eval_sotu.txt, the tokenizer vectors) make their tests skip when absent,
// saying which file, unless the environment says ../shared must be there: with MOBIQ_REQUIRE=shared
// (CI sets it) a missing file fails the test instead of skipping it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace mobiq::test {

inline std::filesystem::path shared_dir() { return MOBIQ_SHARED_DIR; }
inline std::filesystem::path repository_fixture_a_dir() {
  return std::filesystem::path(MOBIQ_SOURCE_DIR) / "models" / "fixture-a";
}
inline std::filesystem::path fixture_a_dir() {
  const std::filesystem::path shared = shared_dir() / "models" / "fixture-a";
  return std::filesystem::exists(shared / "config.json") ? shared : repository_fixture_a_dir();
}
// ../shared/data/NAME, or fixture-a's own copy of NAME (calib.txt) when ../shared lacks it.
inline std::filesystem::path shared_data(const std::string& name) {
  const std::filesystem::path shared = shared_dir() / "data" / name;
  if (std::filesystem::exists(shared)) return shared;
  const std::filesystem::path local = repository_fixture_a_dir() / name;
  return std::filesystem::exists(local) ? local : shared;
}
// fixture-a is available (from ../shared or the repository).
inline bool have_shared() { return std::filesystem::exists(fixture_a_dir() / "config.json"); }
// MOBIQ_REQUIRE lists what must not be skipped for: "shared".
inline bool shared_required() {
  const char* require = std::getenv("MOBIQ_REQUIRE");
  return require != nullptr && std::strstr(require, "shared") != nullptr;
}

}  // namespace mobiq::test

#define MOBIQ_SKIP_OR_FAIL_MISSING_(what)                                                          \
  do {                                                                                             \
    if (::mobiq::test::shared_required())                                                          \
      FAIL() << "needs " << (what) << ", which is missing, and MOBIQ_REQUIRE=shared forbids skipping"; \
    GTEST_SKIP() << "needs " << (what) << "; not found (set MOBIQ_REQUIRE=shared to fail instead)";  \
  } while (0)

// fixture-a (../shared's or the repository's).
#define MOBIQ_REQUIRE_SHARED()                                                                      \
  do {                                                                                              \
    if (!::mobiq::test::have_shared()) MOBIQ_SKIP_OR_FAIL_MISSING_(::mobiq::test::fixture_a_dir().string()); \
  } while (0)

// A file of ../shared/data, e.g. MOBIQ_REQUIRE_SHARED_DATA("eval_sotu.txt").
#define MOBIQ_REQUIRE_SHARED_DATA(name)                                                             \
  do {                                                                                              \
    if (!std::filesystem::exists(::mobiq::test::shared_data(name)))                                 \
      MOBIQ_SKIP_OR_FAIL_MISSING_(::mobiq::test::shared_data(name).string());                       \
  } while (0)
