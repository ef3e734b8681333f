#!/usr/bin/env bash
# Training-step time, fashionseg vs Python PyTorch eager: the same model and weights, the same
# threads, one step = forward, cross-entropy on random labels, backward, AdamW update
# (`fashionseg bench --train` against bench/torch_reference.py train). The target is a
# ratio (fashionseg / Python) of at most 0.9. Data loading is left out on both sides: the
# loader's own speed is bench/run_loader_bench.sh.
#   bench/run_train_side_by_side.sh [HxW=288x192] [batch=8] [threads=$(nproc)] [iterations=5]
# MODELS (default: all three) and LAYOUTS (fashionseg's tensor layouts, default "nhwc nchw")
# narrow the run. TUNED=1: Python trains as a careful CPU user does (channels-last, bf16
# autocast where the CPU has native bf16) and fashionseg with its default precision, auto;
# otherwise both in fp32.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-288x192}"
batch="${2:-8}"
threads="${3:-$(nproc)}"
iterations="${4:-5}"
warmup=2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python=/usr/bin/python3
reference=bench/torch_reference.py
if [ "${TUNED:-}" = 1 ]; then action=train-tuned; precision=auto; else action=train; precision=fp32; fi
echo "train step at $size, batch $batch, $threads threads, $warmup warm-up + $iterations timed; $(nproc) cores"
for model in ${MODELS:-lraspp_mobilenet_v3_large unet deeplabv3_resnet50}; do
  "$python" "$reference" make "$model" 47 "$work/$model.pt"
  build/fashionseg import-weights --arch "$model" --weights "$work/$model.pt" \
    -o "$work/$model.fsm" >/dev/null
  for layout in ${LAYOUTS:-nhwc nchw}; do
    build/fashionseg --threads "$threads" bench --train -m "$work/$model.fsm" --size "$size" \
      --batch "$batch" --warmup "$warmup" --iterations "$iterations" --layout "$layout" \
      --precision "$precision" \
      --json "$work/$model-$layout.json" >/dev/null
  done
  python_json="$("$python" "$reference" "$action" "$model" 47 "$work/$model.pt" "$size" \
    "$threads" "$warmup" "$iterations" "$batch")"
  "$python" - "$work/$model-nhwc.json" "$work/$model-nchw.json" "$python_json" <<'PY'
import json, os, sys
theirs = json.loads(sys.argv[3])
b = theirs['latency_ms']['mean']
ours = []
for layout, path in (('NHWC', sys.argv[1]), ('NCHW', sys.argv[2])):
    if os.path.exists(path):
        report = json.load(open(path))
        ms = report['latency_ms']['mean']
        ours.append('%s %s %8.1f ms (ratio %.2f)' % (report.get('precision', 'fp32'), layout, ms, ms / b))
print('%-28s fashionseg %s   python %s (%s) %8.1f ms'
      % (theirs['model'], ', '.join(ours), theirs['torch'], theirs['tuned'], b))
PY
done
