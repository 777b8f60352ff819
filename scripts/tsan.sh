#!/usr/bin/env bash
# The C API thread tests (tests/capi/capi_threads_test.cc) under ThreadSanitizer: two sessions on one
# model generating at once with different budgets, a budget set from another thread mid-generation,
# a stop from another thread beside a second session. Any report fails the run.
# Usage: scripts/tsan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target capi_threads_test
TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} build/tsan/tests/capi/capi_threads_test
