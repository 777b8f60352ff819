#!/usr/bin/env bash
# The unit suites under AddressSanitizer and UndefinedBehaviorSanitizer (the `debug` preset, which
# does not recover from undefined behaviour): everything but the long end-to-end runs labelled slow.
# Usage: scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset debug >/dev/null
cmake --build --preset debug
# detect_leaks: the suites must not leak either. The test preset excludes the label "slow".
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
  ctest --preset debug -j2
