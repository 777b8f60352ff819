// Fuzz inputs for readers that take a path (MappedFile-based: .mbq, safetensors): the bytes are
// written to one file per process, rewritten for every input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mobiq::fuzz {

inline const std::string& input_path(const char* suffix) {
  static const std::string path = [&] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/mobiq-fuzz-" + std::to_string(::getpid()) +
           suffix;
  }();
  return path;
}

// Writes data to input_path(suffix) and returns that path; aborts if the file cannot be written
// (a broken harness, not a finding).
inline const std::string& write_input(const uint8_t* data, size_t size, const char* suffix) {
  const std::string& path = input_path(suffix);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) std::abort();
  return path;
}

// A finding the sanitizers cannot see (a pointer outside its mapping that happens to land in memory):
// stop like a crash so libFuzzer saves the input.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace mobiq::fuzz
