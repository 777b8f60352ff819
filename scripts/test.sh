#!/usr/bin/env bash
# Installs the dependencies, builds everything and runs the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The default build plus the Vulkan backend, tested on lavapipe with the validation layer on.
# MOBIQ_REQUIRE_VULKAN=1 (CI sets it) fails the Vulkan tests instead of skipping when no device is found.
cmake --preset vulkan >/dev/null
cmake --build --preset vulkan
ctest --preset vulkan -j2
