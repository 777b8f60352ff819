#!/bin/sh
# Bad input found by probing `mobiq` under ASan/UBSan, each refused or handled with a message:
# NaN and infinite values of every floating-point flag, a FIFO where a model or text file belongs
# (which used to block forever), a generation longer than the context (which used to end silently or
# with a bare parse error), and an output in a missing directory (refused before the long run).
# Usage: cli_input_test.sh MOBIQ_EXE SOURCE_DIR
set -eu
mobiq=$1 source_dir=$2
model="$source_dir/models/fixture-a"

work=$(mktemp -d "${TMPDIR:-/tmp}/mobiq-cli-input-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "cli_input_test: $*" >&2; cat "$work/out.txt" "$work/err.txt" >&2 2>/dev/null || true; exit 1; }
# Runs mobiq with a time limit: a command that blocks is a failure, not a hung test.
mq() { timeout 60 "$mobiq" "$@" >"$work/out.txt" 2>"$work/err.txt"; }

"$mobiq" quantize --hf "$model" -o "$work/m.mbq" >/dev/null 2>&1 || fail "quantize failed"
head -c 2000 "$model/calib.txt" >"$work/text.txt"

# Every floating-point flag: NaN and infinities are refused, naming the flag.
for value in nan NaN inf -inf infinity; do
  for flags in "run --bits" "run --temp" "run --top-p" "chat --temp" "chat --top-p" "perplexity --bits"; do
    cmd=${flags%% *} flag=${flags#* }
    case $cmd in
      run) set -- run -m "$work/m.mbq" -p hi -n 1 "$flag" "$value" ;;
      chat) set -- chat -m "$work/m.mbq" "$flag" "$value" ;;
      perplexity) set -- perplexity -m "$work/m.mbq" -f "$work/text.txt" -c 64 --chunks 1 "$flag" "$value" ;;
    esac
    if mq "$@" </dev/null; then fail "$cmd $flag $value accepted"; fi
    grep -q -- "$flag" "$work/err.txt" || fail "$cmd $flag $value: the flag is not named"
    [ ! -s "$work/out.txt" ] || fail "$cmd $flag $value: it ran (stdout not empty)"
  done
  for flag in --token-weight --reach-penalty; do
    if mq quantize --hf "$model" -o "$work/q.mbq" --calib "$work/text.txt" "$flag" "$value"; then
      fail "quantize $flag $value accepted"
    fi
    grep -q -- "$flag" "$work/err.txt" || fail "quantize $flag $value: the flag is not named"
    grep -q 'finite' "$work/err.txt" || fail "quantize $flag $value: no reason given"
  done
done

# A FIFO with no writer: refused at once, not read (its open used to block forever).
mkfifo "$work/fifo"
for args in "inspect $work/fifo" "run -m $work/fifo -p hi -n 1" "run -m $work/m.mbq -f $work/fifo -n 1" \
            "tokenize -m $work/m.mbq -f $work/fifo"; do
  rc=0
  # shellcheck disable=SC2086
  mq $args || rc=$?
  [ "$rc" -ne 124 ] || fail "$args blocked on the FIFO"
  [ "$rc" -ne 0 ] || fail "$args accepted a FIFO"
  grep -q 'not a regular file' "$work/err.txt" || fail "$args: no reason given"
done
if mq run -m /dev/null -p hi -n 1; then fail "run -m /dev/null accepted"; fi
grep -q 'not a regular file' "$work/err.txt" || fail "run -m /dev/null: no reason given"

# More tokens than the context holds: generation stops at the full context with a note, exit 0.
mq run -m "$work/m.mbq" -p "The president said" -n 2147483647 -c 64 --temp 0 -t 2 || fail "run -n 2147483647 -c 64 failed"
grep -q 'context is full' "$work/err.txt" || fail "run -n 2147483647 -c 64: no note that the context is full"
grep -q 'generated: ' "$work/err.txt" || fail "run -n 2147483647 -c 64: no statistics"
mq run -m "$work/m.mbq" -p "The president said" -n 4 -c 64 --temp 0 -t 2 || fail "run -n 4 failed"
if grep -q 'context is full' "$work/err.txt"; then fail "run -n 4: a full context reported"; fi

# Outputs that cannot be written are refused before the work starts.
if mq perplexity -m "$work/m.mbq" -f "$work/text.txt" -c 64 --slices 1 --plot "$work/missing/x.svg"; then
  fail "--plot into a missing directory accepted"
fi
grep -q "$work/missing" "$work/err.txt" || fail "--plot into a missing directory: the directory is not named"
[ ! -s "$work/out.txt" ] || fail "--plot into a missing directory: refused only after the run"
if mq quantize --hf "$model" -o "$work/missing/q.mbq" --calib "$work/text.txt" --calib-windows 1; then
  fail "quantize into a missing directory accepted"
fi
grep -q "$work/missing" "$work/err.txt" || fail "quantize into a missing directory: the directory is not named"
if grep -q 'windows\|statistics\|calibrat' "$work/err.txt"; then fail "quantize into a missing directory: refused after calibrating"; fi
echo "cli_input_test: ok"
