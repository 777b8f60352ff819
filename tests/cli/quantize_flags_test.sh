#!/bin/sh
# `mobiq quantize`: calibration flags out of range or without --calib are refused with a message, and
# an output path that is the calibration text or a file of the checkpoint is refused before anything
# is written to it (the latter before calibrating, not after).
# Usage: quantize_flags_test.sh MOBIQ_EXE SOURCE_DIR
set -eu
mobiq=$1 source_dir=$2
model="$source_dir/models/fixture-a"

work=$(mktemp -d "${TMPDIR:-/tmp}/mobiq-quantize-flags-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "quantize_flags_test: $*" >&2; cat "$work/err.txt" >&2 || true; exit 1; }
quantize() { "$mobiq" quantize --hf "$model" "$@" >"$work/out.txt" 2>"$work/err.txt"; }

cp "$model/calib.txt" "$work/calib.txt"
if quantize --calib "$work/calib.txt" -o "$work/m.mbq" --statistics-memory 0; then fail "--statistics-memory 0 accepted"; fi
grep -q 'statistics-memory' "$work/err.txt" || fail "--statistics-memory 0: the flag is not named"
if quantize -o "$work/m.mbq" --statistics-memory 64; then fail "--statistics-memory without --calib accepted"; fi
grep -q 'calib' "$work/err.txt" || fail "--statistics-memory without --calib: --calib is not named"
if quantize --calib "$work/calib.txt" -o "$work/m.mbq" --router-hidden 0; then fail "--router-hidden 0 accepted"; fi

if quantize --calib "$work/calib.txt" -o "$work/calib.txt" --calib-windows 1; then fail "output over the calibration text accepted"; fi
grep -q 'calibration text' "$work/err.txt" || fail "output over the calibration text: no reason given"
cmp -s "$model/calib.txt" "$work/calib.txt" || fail "the calibration text was modified"
[ ! -e "$work/m.mbq" ] || fail "a refused command left an output file"
cp -r "$model" "$work/checkpoint"
if "$mobiq" quantize --hf "$work/checkpoint" --calib "$work/calib.txt" -o "$work/checkpoint/config.json" --calib-windows 1 \
    >"$work/out.txt" 2>"$work/err.txt"; then fail "output over the checkpoint's config accepted"; fi
grep -q "refusing to write $work/checkpoint/config.json: it is an input" "$work/err.txt" ||
  fail "output over the checkpoint's config: no reason given"
if grep -q 'layers' "$work/err.txt"; then fail "output over the checkpoint's config refused only after calibrating"; fi
cmp -s "$model/config.json" "$work/checkpoint/config.json" || fail "the checkpoint's config was modified"
echo "quantize_flags_test: ok"
