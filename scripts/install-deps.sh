#!/usr/bin/env bash
# Installs the Debian packages fashionseg needs, and only those that are missing.
#   scripts/install-deps.sh          what the program and its libraries need (`make demo`)
#   scripts/install-deps.sh --test   that, plus what the tests and benchmarks need (`make test`):
#                                    GoogleTest, Google Benchmark, Python's torch, torchvision,
#                                    numpy and OpenCV (reference results), Chromium, Node.js and
#                                    the browser test's npm packages
# Further arguments are extra Debian packages to install.
# Idempotent: a second run installs nothing and takes a fraction of a second.
# Neither set changes what CMake finds for the libraries, so `make test` after `make demo`
# compiles only the tests.
set -euo pipefail

with_tests=0
if [[ "${1:-}" == "--test" ]]; then
  with_tests=1
  shift
fi

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libopenblas0-pthread libgloo-dev libdnnl-dev
  libopencv-dev libjpeg-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libcpp-httplib-dev
)
if [[ $with_tests -eq 1 ]]; then
  packages+=(
    libgtest-dev libgmock-dev libbenchmark-dev
    python3-torch python3-torchvision python3-numpy python3-opencv
    chromium
  )
  # Node.js runs the browser test's driver; a machine that already has node (any source) keeps it.
  command -v node >/dev/null || packages+=(nodejs npm)
fi
# Extra packages asked for by the caller.
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  echo "Installing missing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The browser test's driver (tests/browser): playwright-core at the version package-lock.json
# pins. It drives the chromium above and never downloads a browser of its own.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $with_tests -eq 1 && ! -d "$root/node_modules/playwright-core" ]] && command -v npm >/dev/null; then
  echo "Installing the browser test's npm packages (npm ci)"
  (cd "$root" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
