#!/bin/sh
# Times `fashionseg prepare` on ccp-imat: a fresh run, then a resumed run (all masks kept).
# usage: bench/time_prepare.sh [dataset dir] [build dir]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${1:-$here/../../shared/data/ccp-imat}
build=${2:-$here/../build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "fresh run:"
/usr/bin/time -f "  %e s wall, %U s user, %M KB max RSS" "$build/fashionseg" prepare --imaterialist "$data" -o "$out" > /dev/null
echo "resumed run (every mask kept):"
/usr/bin/time -f "  %e s wall, %U s user, %M KB max RSS" "$build/fashionseg" prepare --imaterialist "$data" -o "$out" > /dev/null
