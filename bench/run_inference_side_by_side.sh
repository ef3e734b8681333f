#!/usr/bin/env bash
# Inference latency, fashionseg vs Python PyTorch eager, same model, same weights, same
# threads, batch 1: `fashionseg bench` against bench/torch_reference.py.
#   bench/run_inference_side_by_side.sh [HxW=512x512] [threads=$(nproc)] [iterations=10]
# Prints one line per model with both mean latencies and the ratio (fashionseg / Python;
# the target is <= 0.8). Runs the two sides alternately, model by model, so both see the
# same machine load.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-512x512}"
threads="${2:-$(nproc)}"
iterations="${3:-10}"
warmup=3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python=/usr/bin/python3
reference=bench/torch_reference.py
echo "size $size, batch 1, $threads threads, $warmup warm-up + $iterations timed runs; $(nproc) cores"
for model in lraspp_mobilenet_v3_large unet deeplabv3_resnet50; do
  classes=47
  "$python" "$reference" make "$model" "$classes" "$work/$model.pt"
  build/fashionseg import-weights --arch "$model" --weights "$work/$model.pt" \
    -o "$work/$model.fsm" >/dev/null
  python_json="$("$python" "$reference" time "$model" "$classes" "$work/$model.pt" "$size" \
    "$threads" "$warmup" "$iterations")"
  build/fashionseg --threads "$threads" bench -m "$work/$model.fsm" --size "$size" \
    --warmup "$warmup" --iterations "$iterations" --json "$work/$model.json" >/dev/null
  "$python" - "$work/$model.json" "$python_json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = json.loads(sys.argv[2])
a, b = ours['latency_ms']['mean'], theirs['latency_ms']['mean']
print('%-28s fashionseg %8.1f ms (p50 %8.1f, %5.1f GFLOP/s, peak %4.0f MiB)   python %s %8.1f ms (p50 %8.1f)   ratio %.2f'
      % (theirs['model'], a, ours['latency_ms']['p50'], ours.get('gflop_per_second', 0),
         ours['peak_memory_mib'], theirs['torch'], b, theirs['latency_ms']['p50'], a / b))
PY
done
