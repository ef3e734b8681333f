#!/usr/bin/env bash
# `predict` on the sample photos and `evaluate` on a prepared validation split, timed with two
# builds of fashionseg side by side (alternating, ROUNDS rounds, median wall time each), e.g.
# the build before the one inference engine against today's:
#   git worktree add /tmp/before be9d1f4 && cmake -S /tmp/before -B /tmp/before/build -G Ninja \
#     -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/before/build --target fashionseg
#   bench/run_engine_side_by_side.sh /tmp/before/build/fashionseg build/fashionseg MODEL DATA
# MODEL must be readable by both builds; DATA is a prepared dataset (`fashionseg prepare`).
# AFTER_PREDICT_FLAGS: extra `predict` flags for the second build only, e.g. --no-colors to
# leave out work the first build did not do (the garment colours came later).
set -euo pipefail
cd "$(dirname "$0")/.."
before="$1"
after="$2"
model="$3"
data="$4"
rounds="${ROUNDS:-3}"
threads="${THREADS:-2}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

seconds() {  # command... -> wall seconds
  local start end
  start=$(date +%s.%N)
  "$@" >"$scratch/last.log" 2>&1 || { cat "$scratch/last.log"; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}'
}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

declare -A times
for round in $(seq "$rounds"); do
  for side in before after; do
    bin="${!side}"
    flags=()
    if [ "$side" = after ]; then read -r -a flags <<<"${AFTER_PREDICT_FLAGS:-}"; fi
    times[$side.predict]+="$(seconds "$bin" --threads "$threads" predict samples/photos -m "$model" \
      -o "$scratch/$side-predict" -q "${flags[@]}") "
    times[$side.evaluate]+="$(seconds "$bin" --threads "$threads" evaluate -m "$model" -d "$data" \
      --split val -o "$scratch/$side-evaluate") "
  done
  echo "round $round done" >&2
done
echo "$(nproc) cores, --threads $threads, $rounds rounds, model $model, data $data," \
  "after's predict flags: ${AFTER_PREDICT_FLAGS:-none}"
printf '%-10s %12s %12s %8s\n' job before_s after_s ratio
for job in predict evaluate; do
  b=$(echo "${times[before.$job]}" | tr ' ' '\n' | grep . | median)
  a=$(echo "${times[after.$job]}" | tr ' ' '\n' | grep . | median)
  awk -v j="$job" -v b="$b" -v a="$a" 'BEGIN {printf "%-10s %12.2f %12.2f %8.2f\n", j, b, a, a / b}'
done
