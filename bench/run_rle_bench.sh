#!/bin/sh
# Runs the C++ RLE decode benchmark and the NumPy reference on the same train.csv and prints
# both speeds and their ratio. usage: bench/run_rle_bench.sh [train.csv] [build dir]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
csv=${1:-$here/../../shared/data/ccp-imat/train.csv}
build=${2:-$here/../build}
[ -f "$csv" ] || { echo "no $csv" >&2; exit 1; }
[ -x "$build/bench/bench_rle" ] || cmake --build "$build" --target bench_rle
json=$(mktemp)
trap 'rm -f "$json"' EXIT
FASHIONSEG_RLE_CSV=$csv "$build/bench/bench_rle" --benchmark_filter='BM_KaggleRle' \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true --benchmark_format=json > "$json"
numpy=$(/usr/bin/python3 "$here/rle_numpy_reference.py" "$csv" 3)
/usr/bin/python3 - "$json" "$numpy" <<'PY'
import json, sys
cpp = json.load(open(sys.argv[1]))
numpy = json.loads(sys.argv[2])
print(f"NumPy reference          : {numpy['rows_per_s']:12.0f} rows/s {numpy['mb_per_s']:10.1f} MB/s")
for b in cpp["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    name = b["run_name"]
    rows = b["items_per_second"]
    mbs = b["bytes_per_second"] / 1e6
    print(f"{name:25s}: {rows:12.0f} rows/s {mbs:10.1f} MB/s  ({rows / numpy['rows_per_s']:.1f}x NumPy)")
PY
