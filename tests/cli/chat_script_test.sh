#!/bin/sh
# A scripted `mobiq chat` session on fixture-a (stdin piped): two user turns, /budget 4, /stats, bad
# input (/budget 9, an unknown command) that must print an error and carry on, /reset, a third turn,
# /quit, and a line after /quit that must be ignored. Checks the exit status, that stdout holds one
# answer per turn and nothing else (no prompts, no ANSI), and the status lines and messages on stderr.
# Usage: chat_script_test.sh MOBIQ_EXE SOURCE_DIR
set -eu
mobiq=$1 source_dir=$2

work=$(mktemp -d "${TMPDIR:-/tmp}/mobiq-chat-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() {
  echo "chat_script_test: $*" >&2
  echo "--- stdout" >&2; cat "$work/out.txt" >&2 || true
  echo "--- stderr" >&2; cat "$work/err.txt" >&2 || true
  exit 1
}

"$mobiq" quantize --hf "$source_dir/models/fixture-a" -o "$work/fixture-a.mbq" >/dev/null

printf '%s\n' \
  "Hello there, who are you?" \
  "/budget 4" \
  "/stats" \
  "Tell me about the union." \
  "/budget 9" \
  "/no-such-command" \
  "/reset" \
  "   " \
  "And the economy?" \
  "/quit" \
  "This line comes after /quit." >"$work/script.txt"

status=0
"$mobiq" chat -m "$work/fixture-a.mbq" -n 12 --temp 0 -t 2 --system "You are terse." \
  <"$work/script.txt" >"$work/out.txt" 2>"$work/err.txt" || status=$?
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"

# stdout: the answers only (each ends with a newline; an answer may hold newlines of its own), no
# prompt and no escape sequences; none of the commands' output.
[ "$(wc -l <"$work/out.txt")" -ge 3 ] || fail "expected at least 3 lines of answers on stdout"
[ -n "$(tr -d '[:space:]' <"$work/out.txt")" ] || fail "the answers are empty"
if grep -q "$(printf '\033')" "$work/out.txt" "$work/err.txt"; then fail "ANSI escapes with piped stdin"; fi
if grep -q '^>' "$work/out.txt" "$work/err.txt"; then fail "a prompt was printed with piped stdin"; fi
if grep -qE '^(stats:|budget:|mobiq:|\[budget|conversation reset)' "$work/out.txt"; then fail "command output on stdout"; fi

# stderr: a status line per answer, the first at the full 8 bits, the later ones at the 4-bit budget.
[ "$(grep -c '^\[budget ' "$work/err.txt")" -eq 3 ] || fail "expected 3 status lines"
grep '^\[budget ' "$work/err.txt" | sed -n 1p | grep -q '^\[budget 8.00 bits, fixed: .* | 8.00 bits/weight | 12 tokens, [0-9.]* tok/s\]$' ||
  fail "first status line malformed"
grep '^\[budget ' "$work/err.txt" | sed -n 2p | grep -q '^\[budget 4.00 bits, fixed: set with /budget | 4.00 bits/weight' ||
  fail "second status line does not show the 4-bit budget"
grep -q '^budget: 4.00 bits (fixed: set with /budget)$' "$work/err.txt" || fail "/budget 4 not acknowledged"
grep -q '^stats: position [0-9]*/2048 | budget 4.00 bits' "$work/err.txt" || fail "/stats output missing"
grep -q '^mobiq: out of range: budget 9.00 bits outside 2.00..8.00$' "$work/err.txt" || fail "/budget 9 not refused"
grep -q '^mobiq: invalid argument: unknown command /no-such-command' "$work/err.txt" || fail "unknown command not refused"
grep -q '^conversation reset$' "$work/err.txt" || fail "/reset not acknowledged"
# After /reset the third answer starts a new conversation at the 4-bit budget it kept.
grep '^\[budget ' "$work/err.txt" | sed -n 3p | grep -q '^\[budget 4.00 bits' || fail "budget lost by /reset"
echo "chat_script_test: ok"
