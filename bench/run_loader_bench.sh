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
  cpp[$workers]=$("$bench" --benchmark_filter="workers:$workers/" --benchmark_format=json |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["benchmarks"][0]["images_per_s"])')
  py[$workers]=$(/usr/bin/python3 "$here/loader_torch_reference.py" --workers "$workers" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_s"])')
done

printf '%-8s %16s %16s %8s\n' workers "fashionseg img/s" "PyTorch img/s" ratio
for workers in 1 2; do
  /usr/bin/python3 -c "import sys; c, p = float(sys.argv[2]), float(sys.argv[3]); \
print('%-8s %16.1f %16.1f %7.2fx' % (sys.argv[1], c, p, c / p))" "$workers" "${cpp[$workers]}" "${py[$workers]}"
done
