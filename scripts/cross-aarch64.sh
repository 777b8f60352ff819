#!/usr/bin/env bash
# Cross-compiles mobiq for aarch64 Linux (Jetson, ARM boards) with Debian's cross toolchain and :arm64
# -dev packages (preset linux-aarch64, the dynamically linked build a board would use), then builds
# the same code with fully static executables (preset linux-aarch64-static) and runs the test suites
# under qemu-aarch64: Debian 12's qemu-user 7.2 hangs when a dynamically linked program creates a
# thread on recent host kernels, while static programs run their threads. Left out under emulation:
# plane residency (qemu-user ignores madvise, so no page ever leaves), fixture-a's perplexity and
# divergence checks and the calibration check that runs two calibrations (15-60 s each natively, most
# of an hour emulated); fixture-a's logits against transformers and grouped prefill against
# token-by-token decode, plain and routed, still run the whole model.
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
cmake --preset linux-aarch64-static >/dev/null
cmake --build build/linux-aarch64-static
run() {
  echo "== $1 (aarch64, qemu -cpu ${QEMU_CPU:-max})"
  local start=$SECONDS
  qemu-aarch64 "build/linux-aarch64-static/tests/$1" --gtest_brief=1 "${@:2}"
  echo "== $1: $((SECONDS - start)) s"
}
for suite in core/core_test tokenizer/tokenizer_test format/format_test model/model_test model/hf_model_test \
             cpu/cpu_ops_test engine/engine_test elastic/elastic_test quantizer/quantizer_test \
             capi/capi_test cli/chat_template_test; do
  run "$suite"
done
# The NEON kernel sets: every set this emulated CPU has against the exact int8 math and the f32
# reference, and the whole decoder against cpu:reference, on three CPU models, each with the sets
# its dispatch must offer (kernels_test checks MOBIQ_EXPECT_KERNEL_SETS; forcing a set the model
# lacks must be refused): max (dotprod and i8mm: neon-i8mm first), cortex-a76 (dotprod, no i8mm:
# neon-dotprod, as on Jetson Orin's Cortex-A78AE) and cortex-a53 (neither: the portable set).
QEMU_CPU=max MOBIQ_EXPECT_KERNEL_SETS=neon-i8mm,neon-dotprod,scalar run cpu/kernels_test
QEMU_CPU=max run backends/conformance_test
QEMU_CPU=cortex-a76 MOBIQ_EXPECT_KERNEL_SETS=neon-dotprod,scalar run cpu/kernels_test
QEMU_CPU=cortex-a53 MOBIQ_EXPECT_KERNEL_SETS=scalar run cpu/kernels_test
run engine/routing_test --gtest_filter='Routing.*'  # one small calibration, about 20 minutes emulated
run engine/fixture_a_test --gtest_filter='-*Perplexity*:*Divergence*'
