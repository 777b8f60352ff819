#!/usr/bin/env bash
# The unit suites under AddressSanitizer and UndefinedBehaviorSanitizer (the `sanitize` preset: clang,
# RelWithDebInfo, undefined behaviour not recovered, leak detection on): everything but the long
# end-to-end runs labelled slow, including the replay of every fuzz regression input. The same build
# holds the libFuzzer targets that scripts/fuzz.sh runs.
# Usage: scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
  ctest --preset sanitize -j2
