#!/usr/bin/env bash
# The docs/model-zoo.md table from the runs of scripts/model-zoo.sh (or any run folders given):
# for each run, its parameters and GFLOPs at the training box, the CPU time it trained, the
# validation figures of `fashionseg evaluate` (run/eval/metrics.json) and the latency of
# segmenting one validation photo end to end (`fashionseg bench --photo`, THREADS threads).
#   scripts/zoo-table.sh [run folders...]     (default: runs/zoo/*/)
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${THREADS:-2}"
photo="$(awk -F, '$4 == "val" { print $2; exit }' out/ccp/index.csv 2>/dev/null || true)"
[ -n "$photo" ] || photo="$(ls ../shared/data/ccp-imat/train/*.jpg | head -n 1)"
[ -f "$photo" ] || photo="../shared/data/ccp-imat/train/$photo"
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(runs/zoo/*/)
echo "| model | parameters | GFLOPs at 288x192 (multiply-adds, as torchvision counts) | training CPU time | val mIoU (classes present) | foreground IoU | pixel accuracy | category F1 | latency per photo ($threads threads) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for run in "${runs[@]}"; do
  run="${run%/}"
  name="$(basename "$run")"
  [ -f "$run/eval/metrics.json" ] || { echo "| $name | (no evaluation) |"; continue; }
  build/fashionseg --threads "$threads" bench -m "$run/last.fsm" --size 288x192 --warmup 2 \
    --iterations 5 --json "$run/bench_forward.json" >/dev/null
  build/fashionseg --threads "$threads" bench -m "$run/last.fsm" --photo "$photo" --warmup 2 \
    --iterations 10 --json "$run/bench_photo.json" >/dev/null
  cpu="$(grep "^$name:" runs/zoo/times.txt 2>/dev/null | tail -n 1 | sed -E 's/.*: ([0-9]+)s CPU.*/\1/' || true)"
  /usr/bin/python3 - "$name" "$run" "${cpu:-?}" <<'PY'
import json, sys
name, run, cpu = sys.argv[1:]
m = json.load(open(run + '/eval/metrics.json'))
f = json.load(open(run + '/bench_forward.json'))
p = json.load(open(run + '/bench_photo.json'))
minutes = '%.1f min' % (int(cpu) / 60) if cpu.isdigit() else cpu
print('| %s | %.2fM | %.2f | %s | %.3f | %.3f | %.3f | %.3f | %.0f ms |' % (
    name, f['parameters'] / 1e6, f['gflop_per_image'] / 2, minutes, m['mean_iou_truth'],
    m['foreground_iou'], m['pixel_accuracy'], m['category_f1'], p['latency_ms']['mean']))
PY
done
