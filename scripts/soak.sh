#!/usr/bin/env bash
# Soak: 10,000 tokens through the public C API with the budget changed every token and the resident
# slice planes capped differently every 100 (tests/soak/soak.c), under LeakSanitizer. Prints RSS
# every 1000 tokens; fails on a leak or on RSS growth after warm-up. Not part of the default suite.
# Usage: scripts/soak.sh [TOKENS]
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-10000}
cmake --preset default >/dev/null
cmake --build --preset default --target mobiq mobiq_soak
work=$(mktemp -d "${TMPDIR:-/tmp}/mobiq-soak.XXXXXX")
trap 'rm -rf "$work"' EXIT
build/default/tools/mobiq/mobiq quantize --hf models/fixture-a -o "$work/fixture-a.mbq" >/dev/null 2>&1
LSAN_OPTIONS=${LSAN_OPTIONS:-exitcode=23} build/default/tests/soak/mobiq_soak "$work/fixture-a.mbq" "$tokens"
echo "soak: no leak reported"
