#!/usr/bin/env bash
# Builds mobiq, converts the bundled fixture-a checkpoint to a sliced .mbq file, inspects it, and
# generates text from it at 2, 4 and 8 bits per weight.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target mobiq
mobiq=build/default/tools/mobiq/mobiq
model=build/default/fixture-a.mbq
[ -f "$model" ] || "$mobiq" quantize --hf models/fixture-a -o "$model"
"$mobiq" inspect "$model"
for slices in 1 2 4; do
  echo "--- $slices slice(s), $((2 * slices)) bits per weight"
  "$mobiq" run -m "$model" --slices "$slices" -p "The state of the Union is" -n 40 --temp 0
done
