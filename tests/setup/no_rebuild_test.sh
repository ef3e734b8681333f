#!/usr/bin/env bash
# The README's two commands never build anything twice: `make demo` builds the program only,
# `make test` after it compiles only what the tests add (same flags, same launcher), and any
# second command compiles nothing. Runs the Makefile's build steps (`program` for demo,
# `build` for test; deps skipped) in a scratch build directory with a stand-in compiler, so it
# checks Ninja's decisions in seconds.
# Usage: no_rebuild_test.sh SOURCE_DIR
set -euo pipefail
unset MAKEFLAGS MFLAGS MAKELEVEL  # a make that runs ctest must not hand its flags to this one
source_dir=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fake="$here/fake_compiler.sh"

# make_step NAME TARGET SKIPPED_DEPS: runs one Makefile target; NAME.objects lists what it compiled.
make_step() {
  local name=$1 target=$2 skipped=$3
  if ! make -s -C "$source_dir" -o "$skipped" "$target" BUILD_DIR="$work/build" JOBS=2 \
       CMAKE_FLAGS="-DCMAKE_CXX_COMPILER_LAUNCHER=$fake -DCMAKE_CXX_LINKER_LAUNCHER=$fake" \
       >"$work/$name.log" 2>&1; then
    echo "FAIL: make $target ($name) failed:" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
  grep -oE 'Building CXX object [^ ]+' "$work/$name.log" | awk '{print $4}' | sort >"$work/$name.objects" || true
  echo "make $target ($name): $(wc -l <"$work/$name.objects") compile steps"
}

expect_none() {
  if [[ -s "$work/$1.objects" ]]; then
    echo "FAIL: $1 compiled again what was already compiled:" >&2
    cat "$work/$1.objects" >&2
    exit 1
  fi
}

make_step demo program deps
grep -q 'fashionseg_torch.dir/src/' "$work/demo.objects" || { echo "FAIL: demo compiled no library" >&2; exit 1; }
if grep -q '^tests/' "$work/demo.objects"; then
  echo "FAIL: demo compiled test sources" >&2
  exit 1
fi
make_step demo-again program deps
expect_none demo-again

make_step test build deps-test
grep -q '^tests/' "$work/test.objects" || { echo "FAIL: test compiled no test source" >&2; exit 1; }
twice=$(comm -12 "$work/demo.objects" "$work/test.objects")
if [[ -n "$twice" ]]; then
  echo "FAIL: test compiled again what demo compiled:" >&2
  echo "$twice" >&2
  exit 1
fi
make_step test-again build deps-test
expect_none test-again
make_step demo-after-test program deps
expect_none demo-after-test
echo "PASS"
