// Reading the small text files of sysfs and procfs ("57\n", "Charging\n", "max\n") without allocating:
// one open/read/close into a caller's buffer, then parsing of the text. A missing, unreadable or
// malformed file is nullopt, never an error.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mobiq {

// The file's first buffer.size() bytes, or nullopt when it cannot be opened or read. The view points
// into `buffer`.
std::optional<std::string_view> read_small_file(const std::string& path, std::span<char> buffer);

// The text without leading and trailing whitespace (sysfs values end in '\n').
std::string_view trim(std::string_view text);

// A whole decimal integer, optionally signed, surrounded by nothing but whitespace ("57\n", "-4000").
std::optional<int64_t> parse_integer(std::string_view text);

// read_small_file + trim / + parse_integer.
std::optional<std::string_view> read_trimmed(const std::string& path, std::span<char> buffer);
std::optional<int64_t> read_integer(const std::string& path);

}  // namespace mobiq
