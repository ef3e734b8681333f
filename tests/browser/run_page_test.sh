#!/usr/bin/env bash
# CTest entry for the page's headless-browser test against the real `fashionseg serve`.
#   tests/browser/run_page_test.sh <fashionseg binary> <output folder>
# Serves torchvision's LR-ASPP with seeded random weights (class biases make several classes
# win on any photo, so the page always has categories to show, whatever the bundled model
# finds) and uploads the first sample photo (samples/photos), or a generated one. Writes
# page.png (the screenshot) and serve.log to the output folder. Exits 77 (CTest: skipped)
# when Node.js (20 or newer), playwright-core (npm ci) or Chromium is missing.
set -euo pipefail
binary="$1"
out="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"
for need in node "$chromium"; do
  command -v "$need" >/dev/null || { echo "skipped: $need is not installed"; exit 77; }
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] ||
  { echo "skipped: playwright-core needs Node.js 20 or newer, this is $(node --version)"; exit 77; }
[ -d "$root/node_modules/playwright-core" ] ||
  { echo "skipped: playwright-core is missing (run npm ci in $root)"; exit 77; }
rm -rf "$out"
mkdir -p "$out"

model="$out/model.fsm"
photo="$(ls "$root"/samples/photos/*.jpg 2>/dev/null | head -n 1 || true)"
(cd "$out" && /usr/bin/python3 - <<'PY'
import numpy as np, torch, cv2
from torchvision.models.segmentation import lraspp_mobilenet_v3_large
torch.manual_seed(0)
m = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=5).eval()
with torch.no_grad():
    m.classifier.low_classifier.bias.copy_(torch.tensor([0.0, 0.3, -0.2, 0.1, 0.2]))
torch.save(dict(m.state_dict()), 'w.pt')
small = np.random.default_rng(1).integers(0, 256, (6, 4, 3), dtype=np.uint8)
cv2.imwrite('photo.jpg', cv2.resize(small, (192, 288), interpolation=cv2.INTER_CUBIC))
PY
)
[ -n "$photo" ] || photo="$out/photo.jpg"
"$binary" import-weights --arch lraspp_mobilenet_v3_large --weights "$out/w.pt" -o "$model" \
  --class-names background 'shirt, blouse' pants shoe 'bag, wallet' >/dev/null

"$binary" serve -m "$model" --port 0 >"$out/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 600); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out/serve.log" || true)"
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$out/serve.log"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the server printed no address"; cat "$out/serve.log"; exit 1; }
echo "serving $model at $url; photo $photo"
status=0
node "$root/tests/browser/page_test.mjs" "$url" "$photo" "$out/page.png" || status=$?
kill -TERM "$server"
wait "$server" || { echo "fashionseg serve did not stop cleanly"; cat "$out/serve.log"; exit 1; }
exit "$status"
