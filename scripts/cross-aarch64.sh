#!/usr/bin/env bash
# Cross-compiles mobiq for aarch64 Linux (Jetson, ARM boards) with Debian's cross toolchain and :arm64
# -dev packages, then runs the unit tests under qemu-aarch64. Usage: scripts/cross-aarch64.sh [ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
packages=(g++-aarch64-linux-gnu qemu-user flatbuffers-compiler nlohmann-json3-dev libcli11-dev
          libflatbuffers-dev:arm64 libxxhash-dev:arm64 libpcre2-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || $sudo_cmd dpkg --add-architecture arm64
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cmake --preset linux-aarch64 >/dev/null
cmake --build build/linux-aarch64
# Under emulation the end-to-end suites (whole perplexity runs, calibration) take too long: unit tests only.
ctest --test-dir build/linux-aarch64 -j2 --output-on-failure -E "FixtureA|Routing|capi_install|Perplexity" "$@"
