#!/usr/bin/env bash
# `mobiq quantize` interrupted by SIGINT or SIGTERM at random points (10 trials, alternating signals
# and targets): a new target path never appears, no *.partial-XXXXXX file is left beside it, and a
# target that existed before is never altered. A trial that finished before its signal must have
# written the same bytes as an uninterrupted run. Set MOBIQ_INTERRUPT_SEED to replay a run.
# Usage: quantize_interrupt_test.sh MOBIQ_EXE SOURCE_DIR
set -eu
# Job control: a background job of a non-interactive shell starts with SIGINT ignored (POSIX), and
# mobiq rightly leaves an ignored SIGINT ignored; with -m the job gets the default action, as a
# command started from a terminal does.
set -m
mobiq=$1 source_dir=$2
model="$source_dir/models/fixture-a"
seed=${MOBIQ_INTERRUPT_SEED:-$$}

work=$(mktemp -d "${TMPDIR:-/tmp}/mobiq-quantize-interrupt-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "quantize_interrupt_test (seed $seed): $*" >&2; cat "$work/err.txt" >&2 2>/dev/null || true; exit 1; }
now_ms() { date +%s%3N; }

# An uninterrupted run: the reference bytes and the time span to pick signal points from.
start=$(now_ms)
"$mobiq" quantize --hf "$model" -o "$work/reference.mbq" -t 2 >/dev/null 2>"$work/err.txt" || fail "reference run failed"
span_ms=$(( $(now_ms) - start ))
echo "quantize_interrupt_test: reference run ${span_ms} ms, seed $seed"

"$mobiq" quantize --help >"$work/help.txt" 2>&1 || fail "quantize --help failed"
grep -q 'SIGKILL' "$work/help.txt" || fail "quantize --help does not say where a SIGKILL can leave a partial file"

printf 'a model the user already had\n' >"$work/previous.bin"
interrupted=0
trial=1
while [ "$trial" -le 10 ]; do
  dir="$work/trial$trial"
  mkdir "$dir"
  if [ $((trial % 2)) -eq 1 ]; then sig=INT; else sig=TERM; fi
  existing=$(( (trial / 2) % 2 ))  # trials 2,3 6,7 10 write over an existing file
  target="$dir/model.mbq"
  [ "$existing" -eq 1 ] && cp "$work/previous.bin" "$target"
  # A point anywhere from the start to 90% of the reference run, in milliseconds.
  delay_ms=$(awk -v s="$seed" -v t="$trial" -v span="$span_ms" 'BEGIN { srand(s * 100 + t); printf "%d", rand() * span * 0.9 }')
  "$mobiq" quantize --hf "$model" -o "$target" -t 2 >/dev/null 2>"$work/err.txt" &
  pid=$!
  sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -s "$sig" "$pid" 2>/dev/null || true
  rc=0
  wait "$pid" || rc=$?
  leftovers=$(find "$dir" -name '*.partial-*' | wc -l)
  [ "$leftovers" -eq 0 ] || fail "trial $trial (SIG$sig after ${delay_ms} ms, exit $rc): a partial file was left: $(ls "$dir")"
  if [ "$rc" -eq 0 ]; then
    cmp -s "$target" "$work/reference.mbq" || fail "trial $trial: finished before SIG$sig but wrote different bytes"
  else
    if [ "$sig" = INT ]; then want=130; else want=143; fi
    [ "$rc" -eq "$want" ] || fail "trial $trial: SIG$sig after ${delay_ms} ms: exit $rc, expected death by the signal ($want)"
    if [ -e "$target" ] && cmp -s "$target" "$work/reference.mbq"; then
      # The signal came after the finished file was renamed into place, before the process exited:
      # the target is whole, which is all the guarantee says.
      echo "trial $trial: SIG$sig after ${delay_ms} ms, the whole file was already in place"
      trial=$((trial + 1))
      continue
    fi
    interrupted=$((interrupted + 1))
    if [ "$existing" -eq 1 ]; then
      cmp -s "$target" "$work/previous.bin" || fail "trial $trial: SIG$sig after ${delay_ms} ms altered the existing target"
    else
      [ ! -e "$target" ] || fail "trial $trial: SIG$sig after ${delay_ms} ms left a file at the new target path"
    fi
  fi
  echo "trial $trial: SIG$sig after ${delay_ms} ms, exit $rc, $([ "$existing" -eq 1 ] && echo existing || echo new) target"
  trial=$((trial + 1))
done
# Signals land within 90% of a full run's time, so most trials must have been cut short.
[ "$interrupted" -ge 5 ] || fail "only $interrupted of 10 trials were interrupted: the test did not test"
echo "quantize_interrupt_test: ok ($interrupted of 10 interrupted)"
