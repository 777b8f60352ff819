#!/usr/bin/env bash
# Installs the Debian packages mobiq builds and tests with. Called by the README and by .ci/run.
set -euo pipefail
packages=(
  cmake ninja-build g++ ccache pkg-config
  flatbuffers-compiler libflatbuffers-dev   # .mbq schema compiler and runtime
  libxxhash-dev                             # XXH3-64 segment checksums
  nlohmann-json3-dev                        # config.json, tokenizer.json, --json output
  libcli11-dev                              # the mobiq command line
  libpcre2-dev                              # byte-level BPE pre-tokenization patterns
  libgtest-dev libgmock-dev libbenchmark-dev
  libvulkan-dev glslc spirv-tools            # the Vulkan backend: loader, GLSL -> SPIR-V compiler
  mesa-vulkan-drivers vulkan-validationlayers  # its tests: lavapipe (a CPU Vulkan driver), Khronos validation
  clang libclang-rt-14-dev                  # libFuzzer and sanitizer runtimes (scripts/fuzz.sh)
  python3                                   # fuzz seed corpora (tests/fuzz/make_seeds.py)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
