// A CLI11 check every floating-point flag of `mobiq` carries before its range check. CLI11's Range
// and NonNegativeNumber compare with < and >, and every comparison with NaN is false, so "nan" passed
// them and ran (a NaN temperature samples garbage, a NaN budget selects no plan). Infinities are
// refused here too, with the same reason, whatever range follows. CLI11 prefixes the flag's name:
// "--temp: nan is not a finite number".
#pragma once

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

namespace mobiq::cli {

inline const CLI::Validator FiniteNumber(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) return text + " is not a number";
      if (!std::isfinite(value)) return text + " is not a finite number";
      return {};
    },
    "FINITE");

}  // namespace mobiq::cli
