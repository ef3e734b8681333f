#!/usr/bin/env bash
# Loader throughput side by side: fashionseg's DataLoader (bench_loader) and a PyTorch
# torch.utils.data.DataLoader with the same transforms in cv2 (loader_torch_reference.py),
# at 1 and 2 workers, on ../shared/data/ccp-imat. Prints images/s and the ratio.
# Usage: bench/run_loader_bench.sh [build-dir]   (build first: --target bench_loader)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bench=$build/bench/bench_loader
[[ -x $bench ]] || { echo "missing $bench: cmake --build $build --target bench_loader" >&2; exit 1; }

declare -A cpp py
for workers in 1 2; do
  # Alternate the two so that load from other processes hits both alike.
  cpp[$workers]=$("$bench" --benchmark_filter="workers:$workers/reduced_decode:1" \
    --benchmark_format=json | /usr/bin/python3 -c 'import json, sys
b = json.load(sys.stdin)["benchmarks"][0]
print(b["images_per_s"], b["cpu_ms_per_image"])')
  py[$workers]=$(/usr/bin/python3 "$here/loader_torch_reference.py" --workers "$workers" |
    /usr/bin/python3 -c 'import json, sys
r = json.load(sys.stdin)
print(r["images_per_s"], r["cpu_ms_per_image"])')
done

printf '%-8s %17s %14s %7s %21s %18s %7s\n' workers "fashionseg img/s" "PyTorch img/s" ratio \
  "fashionseg CPU ms/img" "PyTorch CPU ms/img" ratio
for workers in 1 2; do
  /usr/bin/python3 -c "import sys
c, cc = map(float, sys.argv[2].split()); p, pc = map(float, sys.argv[3].split())
print('%-8s %17.1f %14.1f %6.2fx %21.2f %18.2f %6.2fx' % (sys.argv[1], c, p, c / p, cc, pc, pc / cc))" \
    "$workers" "${cpp[$workers]}" "${py[$workers]}"
done
