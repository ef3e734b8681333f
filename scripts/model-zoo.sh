#!/usr/bin/env bash
# Trains several registered models on the prepared CCP photos under the same compute budget
# and scores each on the validation split, for docs/model-zoo.md.
#   scripts/model-zoo.sh [CPU minutes per model] [threads] [only this model]
# Models already evaluated under runs/zoo are skipped; delete runs/zoo to start over.
# The budget is the training process's CPU time (user + system), not wall-clock time, so runs
# stay comparable when other work shares the machine; with one thread and an idle machine the
# two are about equal. A run is stopped by SIGINT when its budget is spent (the trainer then
# writes last.fsm), then `fashionseg evaluate` scores last.fsm on the validation photos at
# their original size.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-25}"
threads="${2:-1}"
only="${3:-}"  # e.g. unet-w16: run just that one (two models can then train side by side)
bin="${FASHIONSEG_BIN:-build/fashionseg}"  # a copy keeps a long run safe from rebuilds
data=out/ccp
config=configs/zoo_ccp-288x192.yaml
mkdir -p runs/zoo
[ -f "$data/index.csv" ] ||
  "$bin" prepare --imaterialist ../shared/data/ccp-imat -o "$data" --label-space main \
    --val-fraction 0.142857
# name | overrides (epochs chosen so the schedule roughly ends within a 25-minute budget: U-Net
# and SegNet first had 3 and 4, which they finished in 14 and 13 minutes; a
# 6-minute budget was tried: 2 epochs of LR-ASPP, 312 CPU-s, still predicted only background)
runs=(
  "lraspp_mobilenet_v3_large|--set model.type=lraspp_mobilenet_v3_large --set train.epochs=9"
  "deeplabv3_mobilenet_v3_large|--set model.type=deeplabv3_mobilenet_v3_large --set train.epochs=5"
  "unet-w16|--set model.type=unet --set model.base_width=16 --set train.epochs=5"
  "segnet_vgg16-x0.25|--set model.type=segnet_vgg16 --set model.width_multiplier=0.25 --set train.epochs=7"
)
for run in "${runs[@]}"; do
  name="${run%%|*}"
  overrides="${run#*|}"
  [ -z "$only" ] || [ "$only" = "$name" ] || continue
  out="runs/zoo/$name"
  # A model already scored is kept (the script can be stopped and started again).
  if [ -f "$out/eval/metrics.json" ]; then echo "$name: already evaluated"; continue; fi
  rm -rf "$out"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$bin" --threads "$threads" train "$config" $overrides --set train.output="$out" \
    >"runs/zoo/$name.log" 2>&1 &
  pid=$!
  cpu=0
  while kill -0 "$pid" 2>/dev/null; do
    cpu=$(ps -o cputimes= -p "$pid" 2>/dev/null | tr -d ' ' || echo 0)
    if [ "${cpu:-0}" -ge "$((minutes * 60))" ]; then kill -INT "$pid"; break; fi
    sleep 2
  done
  wait "$pid" || true
  echo "$name: ${cpu}s CPU, $(($(date +%s) - start))s wall" | tee -a runs/zoo/times.txt
  "$bin" --threads "$threads" evaluate -m "$out/last.fsm" -d "$data" -o "$out/eval" \
    >"runs/zoo/$name.eval.txt" 2>&1
done
