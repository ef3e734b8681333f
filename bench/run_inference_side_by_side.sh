#!/usr/bin/env bash
# Inference latency, fashionseg vs Python PyTorch eager, same model, same weights, same
# threads, batch 1: `fashionseg bench` against bench/torch_reference.py.
#   bench/run_inference_side_by_side.sh [HxW=512x512] [threads=$(nproc)] [iterations=10] [tuned]
# With `tuned`, Python runs as a careful CPU user runs it (channels-last, bf16 autocast where
# the CPU has native bf16) and fashionseg with its default --precision auto; without it both
# run plain fp32 (Python eager NCHW, fashionseg --precision fp32).
# MODELS (default: all three) narrows the run.
# Prints one line per model with both mean latencies and the ratio (fashionseg / Python;
# the target is <= 0.8). Runs the two sides alternately, model by model, so both see the
# same machine load.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-512x512}"
threads="${2:-$(nproc)}"
iterations="${3:-10}"
tuned="${4:-}"
if [ "$tuned" = tuned ]; then action=time-tuned; precision=auto; else action=time; precision=fp32; fi
warmup=3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python=/usr/bin/python3
reference=bench/torch_reference.py
echo "size $size, batch 1, $threads threads, $warmup warm-up + $iterations timed runs; $(nproc) cores"
for model in ${MODELS:-lraspp_mobilenet_v3_large unet deeplabv3_resnet50}; do
  classes=47
  "$python" "$reference" make "$model" "$classes" "$work/$model.pt"
  build/fashionseg import-weights --arch "$model" --weights "$work/$model.pt" \
    -o "$work/$model.fsm" >/dev/null
  python_json="$("$python" "$reference" "$action" "$model" "$classes" "$work/$model.pt" "$size" \
    "$threads" "$warmup" "$iterations")"
  build/fashionseg --threads "$threads" bench -m "$work/$model.fsm" --size "$size" \
    --warmup "$warmup" --iterations "$iterations" --precision "$precision" \
    --json "$work/$model.json" >/dev/null
  "$python" - "$work/$model.json" "$python_json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = json.loads(sys.argv[2])
a, b = ours['latency_ms']['mean'], theirs['latency_ms']['mean']
print('%-28s fashionseg %s %s %8.1f ms (p50 %8.1f, peak %4.0f MiB)   python %s (%s) %8.1f ms (p50 %8.1f)   ratio %.2f'
      % (theirs['model'], ours.get('precision', 'fp32'), ours.get('layout', ''), a,
         ours['latency_ms']['p50'], ours['peak_memory_mib'], theirs['torch'], theirs['tuned'], b,
         theirs['latency_ms']['p50'], a / b))
PY
done
