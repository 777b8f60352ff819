#!/bin/sh
# Installs this build into a temporary prefix, builds examples/c against the installed package twice
# (find_package(mobiq) and pkg-config), converts fixture-a with the installed `mobiq`, and checks that
# both example binaries stream a continuation of the prompt.
# Usage: install_example_test.sh BUILD_DIR SOURCE_DIR CMAKE GENERATOR C_COMPILER CXX_COMPILER FLAGS=...
# FLAGS= carries the build's CMAKE_CXX_FLAGS: a sanitizer build's archives need them at link time too.
set -eu
build_dir=$1 source_dir=$2 cmake=$3 generator=$4 cc=$5 cxx=$6 flags=${7#FLAGS=}

work=$(mktemp -d "${TMPDIR:-/tmp}/mobiq-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "install_example_test: $*" >&2; exit 1; }

"$cmake" --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install failed (is the whole build up to date?)"; }
for f in include/mobiq/mobiq.h include/mobiq/version.h lib/cmake/mobiq/mobiqConfig.cmake bin/mobiq; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
pcfile=$(find "$prefix" -name mobiq.pc | head -n 1)
[ -n "$pcfile" ] || fail "not installed: mobiq.pc"

# 1. CMake: find_package(mobiq) + mobiq::mobiq.
"$cmake" -S "$source_dir/examples/c" -B "$work/example" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; fail "configuring examples/c against the installed package failed"; }
"$cmake" --build "$work/example" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "building examples/c failed"; }

# 2. pkg-config, a plain C compiler driver (--static: libmobiq may be an archive).
if command -v pkg-config >/dev/null 2>&1; then
  pc_flags=$(PKG_CONFIG_PATH=$(dirname "$pcfile") pkg-config --cflags --libs --static mobiq) || fail "pkg-config mobiq failed"
  # shellcheck disable=SC2086  # the flags are lists of words
  "$cc" -std=c99 -Wall -Wextra -pedantic $flags "$source_dir/examples/c/chat_min.c" $pc_flags -o "$work/chat_min_pc" ||
    fail "building chat_min.c with pkg-config's flags failed"
fi

"$prefix/bin/mobiq" quantize --hf "$source_dir/models/fixture-a" -o "$work/fixture-a.mbq" >/dev/null ||
  fail "the installed mobiq could not convert fixture-a"

prompt="The president said"
for exe in "$work/example/chat_min" "$work/chat_min_pc"; do
  [ -x "$exe" ] || continue
  # pkg-config sets no run path: a shared libmobiq is found through LD_LIBRARY_PATH.
  LD_LIBRARY_PATH=$(dirname "$pcfile")/..${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
    "$exe" "$work/fixture-a.mbq" "$prompt" 16 4 >"$work/out.txt" 2>"$work/err.txt" ||
    { cat "$work/err.txt" >&2; fail "$exe exited with an error"; }
  out=$(cat "$work/out.txt")
  case $out in
    "$prompt"?*) ;;
    *) fail "$exe: expected the prompt and a continuation on stdout, got: $out" ;;
  esac
  grep -q "16 tokens" "$work/err.txt" || fail "$exe: no '16 tokens' in its stats: $(cat "$work/err.txt")"
  grep -q "4.0 bits per weight" "$work/err.txt" || fail "$exe: the 4-bit budget did not apply: $(cat "$work/err.txt")"
  echo "$exe: ok: $out"
done
