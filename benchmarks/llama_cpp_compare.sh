#!/usr/bin/env bash
# Side by side with llama.cpp on this machine (../shared/bench/README.md has the protocol and how to
# build llama-bench here): fixture-a, decode of 64 tokens after a 128-token context and a 128-token
# prefill, the two tools alternated round by round, medians compared.
#
#   benchmarks/llama_cpp_compare.sh LLAMA_BENCH MOBIQ_EXE MBQ_FILE [ROUNDS=5] [THREADS=1] [GGUF_DIR]
#   BUSY=1 benchmarks/llama_cpp_compare.sh ...   # with a busy-loop process running throughout
#
# Pairs: mobiq 4 slices (8-bit codes) against Q8_0, 2 slices (4-bit) and 1 slice (2-bit) against Q4_0.
# MBQ_FILE should be written with `mobiq quantize --dense q8` (llama.cpp's files keep the head in Q8_0).
# Both tools report the best of 3 repetitions per round in wall-clock tokens/s (llama-bench: the
# largest of its samples_ts; mobiq bench: its best of -r 3); the table gives the medians over rounds.
# Prints the load average before and after: llama.cpp's threads spin, so a busy machine hurts it more.
set -euo pipefail
llama_bench=${1:?llama-bench binary}
mobiq=${2:?mobiq binary}
mbq=${3:?.mbq file}
rounds=${4:-5}
threads=${5:-1}
gguf_dir=${6:-"$(dirname "$0")/../../shared/models/fixture-a-gguf"}
out=$(mktemp -d)
busy_pid=
cleanup() {
  [[ -n "$busy_pid" ]] && kill "$busy_pid" 2>/dev/null
  rm -rf "$out"
}
trap cleanup EXIT
if [[ "${BUSY:-0}" == 1 ]]; then
  sh -c 'while :; do :; done' &
  busy_pid=$!
fi

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); threads $threads; rounds $rounds; busy loop: ${BUSY:-0}"
echo "llama: $llama_bench -m GGUF -t $threads -r 3 -p 0 -n 64 -d 128 -o json  |  -p 128 -n 0"
echo "mobiq: $mobiq bench -m $mbq -t $threads -p 128 -n 64 -r 3 --slices 4,2,1 --json"
for round in $(seq 1 "$rounds"); do
  for q in q8_0 q4_0; do
    "$llama_bench" -m "$gguf_dir/fixture-a-$q.gguf" -t "$threads" -r 3 -p 0 -n 64 -d 128 -o json \
      > "$out/llama-$q-decode-$round.json" 2>/dev/null
    "$llama_bench" -m "$gguf_dir/fixture-a-$q.gguf" -t "$threads" -r 3 -p 128 -n 0 -o json \
      > "$out/llama-$q-prefill-$round.json" 2>/dev/null
  done
  "$mobiq" bench -m "$mbq" -t "$threads" -p 128 -n 64 -r 3 --slices 4,2,1 --json > "$out/mobiq-$round.json"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def llama(q, kind):
    return statistics.median(max(json.load(open(f"{out}/llama-{q}-{kind}-{r}.json"))[0]["samples_ts"])
                             for r in range(1, rounds + 1))
def mobiq(k, field):
    vals = []
    for r in range(1, rounds + 1):
        doc = json.load(open(f"{out}/mobiq-{r}.json"))
        vals += [row[field] for row in doc["results"] if row["slices"] == k]
    return statistics.median(vals)
rows = [("decode", 4, "q8_0", "decode"), ("decode", 2, "q4_0", "decode"), ("decode", 1, "q4_0", "decode"),
        ("prefill", 4, "q8_0", "prefill"), ("prefill", 2, "q4_0", "prefill"), ("prefill", 1, "q4_0", "prefill")]
print(f"{'what':8} {'mobiq':>10} {'tok/s':>9} {'tok/cpu-s':>10} {'llama.cpp':>10} {'tok/s':>9} {'ratio':>7}")
for kind, k, q, field in rows:
    ours, theirs = mobiq(k, f"{field}_tokens_per_second"), llama(q, kind)
    cpu = mobiq(k, f"{field}_tokens_per_cpu_second")
    print(f"{kind:8} {str(k) + ' slices':>10} {ours:9.1f} {cpu:10.1f} {q.upper():>10} {theirs:9.1f} {ours / theirs:6.2f}x")
print("medians over the rounds of wall-clock tokens/s, each the best of 3 repetitions; ratio = mobiq / llama.cpp")
PY
