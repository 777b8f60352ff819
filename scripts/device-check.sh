#!/usr/bin/env bash
# The CUDA checks that need a GPU, in one run (backends/cuda/README.md): builds for the GPU present
# only, runs the CUDA op tests and the conformance suite with MOBIQ_REQUIRE_CUDA=1 (a missing device
# fails), then cuda_gemv_bench and `mobiq bench --backend cuda` on fixture-a, and prints one summary.
# Logs go to $OUT when it is set (the device tool), else to the build directory.
#   scripts/device-check.sh            build in build/device-check, then check
#   BUILD=dir scripts/device-check.sh  use a build configured elsewhere (must include this GPU's arch)
set -uo pipefail
cd "$(dirname "$0")/.."
nvcc=${NVCC:-/usr/local/cuda/bin/nvcc}
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
if [[ -z "$arch" ]]; then
  echo "device-check: nvidia-smi finds no GPU" >&2
  exit 1
fi
build=${BUILD:-build/device-check}
logs=${OUT:-$build}
mkdir -p "$logs"
summary=()
step() {  # step NAME TIMEOUT_S COMMAND...: runs it, logs to $logs/NAME.log, records pass/fail
  local name=$1 limit=$2
  shift 2
  local begin=$SECONDS
  timeout "$limit" "$@" >"$logs/$name.log" 2>&1
  local rc=$?
  summary+=("$(printf '%-22s %-5s %4ds  %s' "$name" "$([[ $rc == 0 ]] && echo ok || echo FAIL)" $((SECONDS - begin)) "$logs/$name.log")")
  return $rc
}

if [[ -z "${BUILD:-}" ]]; then
  step configure 120 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOBIQ_CUDA=ON \
    -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES="$arch" || { printf '%s\n' "${summary[@]}"; exit 1; }
  step build 300 ninja -C "$build" cuda_test conformance_test cuda_gemv_bench mobiq || { printf '%s\n' "${summary[@]}"; tail -30 "$logs/build.log"; exit 1; }
fi
export MOBIQ_REQUIRE_CUDA=1
step cuda_test 120 "$build/tests/cuda/cuda_test"
step conformance_cuda 300 "$build/tests/backends/conformance_test" --gtest_filter='*cuda*'
step cuda_gemv_bench 120 "$build/benchmarks/cuda_gemv_bench"
fixture=$(mktemp -d)/fixture-a.mbq
if step convert_fixture_a 120 "$build/tools/mobiq/mobiq" quantize --hf models/fixture-a -o "$fixture"; then
  step bench_cuda_fixture_a 120 "$build/tools/mobiq/mobiq" bench -m "$fixture" --backend cuda
fi

echo
echo "device-check on sm_$arch ($(nvidia-smi --query-gpu=name --format=csv,noheader | head -1))"
printf '%s\n' "${summary[@]}"
echo
echo "--- cuda_gemv_bench"
cat "$logs/cuda_gemv_bench.log"
echo "--- mobiq bench --backend cuda, fixture-a"
cat "$logs/bench_cuda_fixture_a.log" 2>/dev/null
for s in "${summary[@]}"; do [[ "$s" == *FAIL* ]] && exit 1; done
exit 0
