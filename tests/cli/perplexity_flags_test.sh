#!/bin/sh
# `mobiq perplexity --kl-divergence`: the table and JSON carry each plan's divergence from all slices
# (zero for all slices, positive for fewer), --plot-kl draws it, and an unquantized model or --plot-kl
# without --kl-divergence is refused with a reason, as is a plot over the text, the model or a file of
# the checkpoint directory.
# Usage: perplexity_flags_test.sh MOBIQ_EXE SOURCE_DIR
set -eu
mobiq=$1 source_dir=$2
model="$source_dir/models/fixture-a"

work=$(mktemp -d "${TMPDIR:-/tmp}/mobiq-perplexity-flags-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "perplexity_flags_test: $*" >&2; cat "$work/out.txt" "$work/err.txt" >&2 || true; exit 1; }
perplexity() { "$mobiq" perplexity -f "$model/calib.txt" --chunks 1 -c 64 -t 2 "$@" >"$work/out.txt" 2>"$work/err.txt"; }

"$mobiq" quantize --hf "$model" -o "$work/m.mbq" >/dev/null

perplexity -m "$work/m.mbq" --slices 1,4 --kl-divergence || fail "--kl-divergence failed"
grep -q '^routing .* KL  *same top' "$work/out.txt" || fail "no KL column in the table"
grep -Eq '^uniform +- +8\.00 +8\.000 +[0-9.]+ +0\.00000 +100\.00%' "$work/out.txt" || fail "all slices should not diverge"
grep -Eq '^uniform +- +2\.00 +2\.000 +[0-9.]+ +0\.[0-9]*[1-9][0-9]* ' "$work/out.txt" || fail "one slice shows no divergence"

perplexity -m "$work/m.mbq" --slices 1,2,4 --kl-divergence --plot-kl "$work/kl.svg" || fail "--plot-kl failed"
grep -q '<svg' "$work/kl.svg" || fail "--plot-kl wrote no SVG"
grep -q 'KL divergence' "$work/kl.svg" || fail "--plot-kl: no axis title"
if perplexity -m "$work/m.mbq" --slices 1 --plot-kl "$work/kl2.svg"; then fail "--plot-kl without --kl-divergence accepted"; fi
[ ! -e "$work/kl2.svg" ] || fail "a refused --plot-kl wrote its file"

perplexity -m "$work/m.mbq" --slices 2 --kl-divergence --json || fail "--kl-divergence --json failed"
grep -q '"kl_divergence": ' "$work/out.txt" || fail "no kl_divergence in the JSON"
grep -q '"same_top_token": ' "$work/out.txt" || fail "no same_top_token in the JSON"
perplexity -m "$work/m.mbq" --slices 2 --json || fail "--json failed"
if grep -q 'kl_divergence' "$work/out.txt"; then fail "kl_divergence reported without --kl-divergence"; fi

cp "$model/calib.txt" "$work/text.txt"
if "$mobiq" perplexity -m "$work/m.mbq" -f "$work/text.txt" --chunks 1 -c 64 --slices 1 --plot "$work/text.txt" \
    >"$work/out.txt" 2>"$work/err.txt"; then fail "--plot over the text accepted"; fi
grep -q "refusing to write $work/text.txt: it is an input" "$work/err.txt" || fail "--plot over the text: no reason given"
cmp -s "$model/calib.txt" "$work/text.txt" || fail "the text was modified"
cp "$work/m.mbq" "$work/m-copy.mbq"
if perplexity -m "$work/m.mbq" --slices 1 --kl-divergence --plot-kl "$work/m.mbq"; then fail "--plot-kl over the model accepted"; fi
cmp -s "$work/m.mbq" "$work/m-copy.mbq" || fail "the model was modified"
cp -r "$model" "$work/checkpoint"
if perplexity --hf "$work/checkpoint" --plot "$work/checkpoint/config.json"; then fail "--plot over the checkpoint's config accepted"; fi
grep -q 'it is an input' "$work/err.txt" || fail "--plot over the checkpoint's config: no reason given"
cmp -s "$model/config.json" "$work/checkpoint/config.json" || fail "the checkpoint's config was modified"

if perplexity --hf "$model" --kl-divergence; then fail "--kl-divergence on an unquantized model accepted"; fi
grep -q 'needs a sliced .mbq model' "$work/err.txt" || fail "unquantized model: no reason given"
echo "perplexity_flags_test: ok"
