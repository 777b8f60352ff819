#!/usr/bin/env bash
# Cross-compiles mobiq for aarch64 Linux (Jetson, ARM boards) with Debian's cross toolchain and :arm64
# -dev packages, then runs the single-threaded test suites under qemu-aarch64. (Debian 12's
# qemu-user 7.2 hangs creating threads on recent host kernels, so the suites that run the
# multithreaded CPU backend are built but not run here.)
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
for suite in core/core_test tokenizer/tokenizer_test format/format_test model/model_test model/hf_model_test \
             engine/engine_test elastic/elastic_test quantizer/quantizer_test; do
  echo "== $suite (aarch64, qemu)"
  qemu-aarch64 -L /usr/aarch64-linux-gnu "build/linux-aarch64/tests/$suite" --gtest_brief=1
done
