#!/bin/sh
# `mobiq run --budget`: a fixed number, out-of-range and malformed values, and --budget auto on a fake
# device tree (a battery at 10%) with a policy that caps the budget below 20% battery; --budget-mode
# and the spend it reports (plain and --json).
# Usage: run_budget_test.sh MOBIQ_EXE SOURCE_DIR
set -eu
mobiq=$1 source_dir=$2

work=$(mktemp -d "${TMPDIR:-/tmp}/mobiq-run-budget-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "run_budget_test: $*" >&2; cat "$work/err.txt" >&2 || true; exit 1; }

"$mobiq" quantize --hf "$source_dir/models/fixture-a" -o "$work/m.mbq" >/dev/null
run() { "$mobiq" run -m "$work/m.mbq" -p "The president said" -n 8 --temp 0 -t 2 "$@" >"$work/out.txt" 2>"$work/err.txt"; }

run --budget 4 || fail "--budget 4 failed"
grep -q '^budget: 4.00 bits (fixed: set with --budget)' "$work/err.txt" || fail "--budget 4 not reported"

grep -q 'spend 4.00 bits over [0-9]* tokens (average, threshold offset' "$work/err.txt" || fail "--budget 4: no spend reported"

run --budget 4 --budget-mode cap --json || fail "--budget-mode cap --json failed"
grep -q '"budget_mode":"cap"' "$work/err.txt" || fail "--json: no budget_mode"
grep -q '"spend_bits":4' "$work/err.txt" || fail "--json: no spend_bits"
grep -q '"threshold_offset":' "$work/err.txt" || fail "--json: no threshold_offset"
if run --budget 4 --budget-mode closed; then fail "--budget-mode closed accepted"; fi

if run --budget 9; then fail "--budget 9 accepted"; fi
grep -q 'outside 2.00..8.00' "$work/err.txt" || fail "--budget 9: no range in the message"
if run --budget four; then fail "--budget four accepted"; fi
if run --budget 4 --bits 4; then fail "--budget with --bits accepted"; fi

mkdir -p "$work/root/sys/class/power_supply/BAT0"
echo Battery >"$work/root/sys/class/power_supply/BAT0/type"
echo Discharging >"$work/root/sys/class/power_supply/BAT0/status"
echo 10 >"$work/root/sys/class/power_supply/BAT0/capacity"
cat >"$work/policy.json" <<'JSON'
{"version": 1, "min_dwell_tokens": 1,
 "rules": [{"when": "battery_percent", "below": 20, "bits": 4.0, "resident_planes": 2}]}
JSON
run --budget auto --policy "$work/policy.json" --state-root "$work/root" || fail "--budget auto failed"
grep -q '^budget: 4.00 bits (auto: .*battery.*) | 2 planes resident$' "$work/err.txt" || fail "--budget auto did not follow the battery"
# The built-in policy with nothing to read keeps the full precision.
mkdir -p "$work/empty"
run --budget auto --state-root "$work/empty" || fail "--budget auto with the built-in policy failed"
grep -q '^budget: 8.00 bits (auto: ' "$work/err.txt" || fail "built-in policy: expected 8 bits"
echo "run_budget_test: ok"
