# The two commands of the README: `make demo` and `make test`. Every target installs what is
# missing first, so each works on a fresh Debian 12 machine.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CCACHE := $(shell command -v ccache 2>/dev/null)

.PHONY: all deps configure build demo demo-data test test-fast format clean bench

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

## The main job on the embedded default: the bundled model (models/fashionseg-ccp.fsm)
## segments the sample photos (samples/photos) and lists what each person wears.
demo: build
	@$(BUILD_DIR)/fashionseg predict samples/photos --mask --color --overlay --json -o out/demo

## The data pipeline on a synthetic dataset (no model needed).
demo-data: build
	@$(BUILD_DIR)/fashionseg demo --output out/demo-data

## Every test; tests that need ../shared/data skip cleanly when it is absent.
test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 1500

bench: build
	@cmake --build $(BUILD_DIR) --target benchmarks -j $(JOBS)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
