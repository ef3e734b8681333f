#!/usr/bin/env bash
# Loopback load test of `fashionseg serve` (bench/serve_load.cpp): starts the server on a free
# port with the bundled model (or MODEL=...), sends REQUESTS (1000) requests of one sample
# photo from CONCURRENCY (8) clients, prints throughput, latency percentiles and errors, and
# the server's own latency histogram, and the server's resident memory (VmRSS) when started,
# after the warm-up, after the load and after 5 idle seconds, with its peak (VmHWM).
# Build first: make bench. FASHIONSEG_BIN=... runs another build of the server.
#   bench/run_serve_load.sh [photo] [requests] [concurrency] [extra serve options...]
set -euo pipefail
cd "$(dirname "$0")/.."
photo="${1:-samples/photos/astronaut-eileen-collins.jpg}"
requests="${2:-1000}"
concurrency="${3:-8}"
shift $(( $# > 3 ? 3 : $# ))
model="${MODEL:-models/fashionseg-ccp.fsm}"
bin="${FASHIONSEG_BIN:-build/fashionseg}"
log="$(mktemp)"
"$bin" serve -m "$model" --port 0 --queue 64 "$@" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
port=""
for _ in $(seq 600); do
  port="$(grep -o '127\.0\.0\.1:[0-9]*' "$log" | cut -d: -f2 || true)"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$log"; exit 1; }
rss() { awk -v when="$1" '/^VmRSS/ {rss = $2} /^VmHWM/ {hwm = $2}
  END {printf "server memory %s: RSS %d MB (peak %d MB)\n", when, rss / 1024, hwm / 1024}' \
  "/proc/$server/status"; }
rss "at start"
echo "model $model, photo $photo ($(stat -c %s "$photo") bytes), $(nproc) cores, serve options: --queue 64 $*"
build/bench/bench_serve_load "$port" "$photo" 10 1 >/dev/null  # warm-up
rss "after 10 warm-up requests"
build/bench/bench_serve_load "$port" "$photo" "$requests" "$concurrency"
rss "after the load"
sleep 5
rss "5 s later"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^fashionseg_(segment|inference)_seconds_(sum|count)|^fashionseg_refused_total'
