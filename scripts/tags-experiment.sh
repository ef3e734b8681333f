#!/usr/bin/env bash
# The "learning from tags" experiment of docs/model-zoo.md: four rows under the same budget
# (configs/tags-experiment.yaml: 150 steps of 8 photos from the v1 model), each adding one
# thing to the row before:
#   A  today's recipe: masks only, the area rule
#   B  + category head (tags of 2 photos per batch, masks of the other 6) + calibrated rule
#   C  + self-training on the tagged photos (mean teacher, tag-filtered pseudo-labels)
#   D  + the augmentations for photos unlike the training set
# Each row is scored on the validation split: pixels and categories of the ccp-imat photos,
# categories of the held-out ccp-tags photos; calibrated rows by `fashionseg calibrate`'s
# 5-fold cross-validated estimate too (the thresholds are fitted on those photos).
#   scripts/tags-experiment.sh [threads] [only this row]
# Rows already scored under runs/tags-experiment are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-1}"
only="${2:-}"
bin="${FASHIONSEG_BIN:-build/fashionseg}"  # a copy keeps a long run safe from rebuilds
data=out/ccp-combined
v1=runs/fashionseg-ccp-v1.fsm
[ -f "$data/index.csv" ] ||
  "$bin" prepare --imaterialist ../shared/data/ccp-imat --tags ../shared/data/ccp-tags \
    --label-space main --val-fraction 0.142857 -o "$data"
# The starting point: the v1 bundled model (before v2 replaced models/fashionseg-ccp.fsm).
[ -f "$v1" ] || git show 11c40c4:models/fashionseg-ccp.fsm > "$v1"
head="--set model.category_head=true --set data.unmasked_per_batch=2 --set data.unmasked_photos=tagged"
teacher="--set data.two_views=true --set data.cutout=2 --set self_training.teacher=ema"
teacher+=" --set self_training.ema_decay=0.99 --set self_training.threshold=0.7"
teacher+=" --set self_training.rampup_epochs=1"
augment="--set data.zoom=0.15 --set data.background=0.3 --set data.grayscale=0.1"
augment+=" --set data.blur=0.1 --set data.jpeg=0.2 --set data.gamma=0.3 --set data.color_cast=0.1"
augment+=" --set data.brightness=0.3 --set data.contrast=0.3 --set data.saturation=0.3"
rows=(
  "A-recipe|"
  "B-head|$head"
  "C-self-training|$head $teacher"
  "D-augmentations|$head $teacher $augment"
)
for row in "${rows[@]}"; do
  name="${row%%|*}"
  overrides="${row#*|}"
  [ -z "$only" ] || [ "$only" = "$name" ] || continue
  out="runs/tags-experiment/$name"
  if [ -f "$out/calibrated/metrics.json" ]; then echo "$name: already scored"; continue; fi
  if [ -f "$out/last.fsm" ]; then resume=--resume; else resume=; fi
  # shellcheck disable=SC2086
  "$bin" --threads "$threads" train configs/tags-experiment.yaml -o "$out" $overrides $resume
  "$bin" --threads "$threads" evaluate -m "$out/last.fsm" -d "$data" -o "$out/plain" >/dev/null
  "$bin" --threads "$threads" calibrate -m "$out/last.fsm" -d "$data" -o "$out/calibrated.fsm" \
    --report "$out/calibration.json" | tail -4
  "$bin" --threads "$threads" evaluate -m "$out/calibrated.fsm" -d "$data" \
    -o "$out/calibrated" >/dev/null
  echo "$name: scored"
done
# One line per row: mIoU, foreground IoU, category F1 (precision) on the ccp-imat and the
# ccp-tags validation photos as trained (area rule, or the head at 0.5), the same with the
# calibrated rule (fitted on these photos: optimistic), and calibrate's 5-fold
# cross-validated F1 over both (honest).
echo "| row | mIoU | fg IoU | imat cat F1 | tags cat F1 | imat cat F1, calibrated | tags cat F1, calibrated | cross-validated F1 |"
echo "|---|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  name="${row%%|*}"
  dir="runs/tags-experiment/$name"
  [ -f "$dir/calibrated/metrics.json" ] || continue
  /usr/bin/python3 - "$dir" "$name" <<'PY'
import json, sys
d, name = sys.argv[1], sys.argv[2]
plain = json.load(open(d + "/plain/metrics.json"))
calibrated = json.load(open(d + "/calibrated/metrics.json"))
cv = json.load(open(d + "/calibration.json"))["cross_validated"]
f = lambda v: "-" if v is None else "%.3f" % v
pf = lambda m, k: "%s (P %s)" % (f(m.get(k + "_f1")), f(m.get(k + "_precision")))
print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
    name, f(plain["mean_iou"]), f(plain["foreground_iou"]), pf(plain, "category"),
    pf(plain, "tag_category"), pf(calibrated, "category"), pf(calibrated, "tag_category"),
    "%s (P %s)" % (f(cv["f1"]), f(cv["precision"]))))
PY
done
