#!/usr/bin/env bash
# Builds mobiq, calibrates the bundled fixture-a checkpoint into one elastic .mbq file (slices,
# routers, budget table), inspects it, and generates the same prompt at three budgets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target mobiq
mobiq=build/default/tools/mobiq/mobiq
model=build/default/fixture-a.mbq
if [ ! -f "$model" ]; then
  "$mobiq" quantize --hf models/fixture-a --calib models/fixture-a/calib.txt --calib-windows 32 -o "$model"
fi
"$mobiq" inspect "$model"
for bits in 2.5 4 8; do
  echo "--- budget $bits bits per weight"
  "$mobiq" run -m "$model" --bits "$bits" -p "The state of the Union is" -n 40 --temp 0
done
