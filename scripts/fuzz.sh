#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) in the `sanitize` preset's build (clang, ASan and UBSan;
# scripts/sanitize.sh builds the rest of it), makes their seed corpora from the repository's files,
# and fuzzes each for SECONDS (default 60). A crash, leak or timeout is saved under
# tests/fuzz/regressions/<target>/ (commit it, fix it: ctest replays it from then on) and makes this
# script exit non-zero after every target had its turn.
# Usage: [MOBIQ_EXE=path/to/mobiq] scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=build/sanitize
cmake --preset sanitize >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(mbq_open tokenizer_json gguf_metadata safetensors_header config_json budget_policy chat_template)
fi
# The tiny .mbq seed is made by `mobiq quantize`: MOBIQ_EXE names a mobiq to use, else the sanitize
# build's (already there after scripts/sanitize.sh).
mobiq=${MOBIQ_EXE:-}
if [ -z "$mobiq" ]; then
  cmake --build --preset sanitize --target mobiq
  mobiq="$build/tools/mobiq/mobiq"
fi
cmake --build --preset sanitize --target "${targets[@]/#/fuzz_}"

seeds="$build/seeds"
rm -rf "$seeds"
# mobiq under ASan: leaks at exit are not this script's concern.
ASAN_OPTIONS=detect_leaks=0 python3 tests/fuzz/make_seeds.py "$seeds" . "$mobiq" >/dev/null

failed=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"  # grows across runs of this script; not committed
  regressions="tests/fuzz/regressions/$t"
  mkdir -p "$corpus" "$regressions"
  echo "== fuzz_$t for ${seconds}s"
  log="$build/fuzz_$t.log"
  if "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=1048576 \
      -print_final_stats=1 -artifact_prefix="$regressions/" "$corpus" "$seeds/$t" "$regressions" >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$log" | tail -2 || true
  else
    echo "fuzz_$t FAILED: see $log; the input is in $regressions/"
    grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -5 || true
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each, no crash"
