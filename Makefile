# The two commands of the README: `make demo` and `make test`. Each installs what it is missing
# first (scripts/install-deps.sh), so each works on a fresh Debian 12 machine.
#
# Never building anything twice: every target configures the same compiler, launcher, build
# type and flags; they differ only in whether the test and benchmark targets exist, which
# changes no flag of the program or its libraries. So `make test` after `make demo` compiles
# only what the tests add, and any second `make` compiles nothing.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# $(call configure,OPTIONS): configure $(BUILD_DIR). ccache is looked up here, in the recipe,
# after deps has installed it, never when make parses this file: a launcher that differs
# between the first command and the second makes CMake rebuild the whole tree.
configure = launcher=$$(command -v ccache >/dev/null && echo ccache); \
  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
    -DCMAKE_CXX_COMPILER_LAUNCHER=$$launcher $(1) $(CMAKE_FLAGS) >/dev/null

TESTS_ON = -DFASHIONSEG_BUILD_TESTS=ON -DFASHIONSEG_BUILD_BENCH=ON
TESTS_OFF = -DFASHIONSEG_BUILD_TESTS=OFF -DFASHIONSEG_BUILD_BENCH=OFF

.PHONY: all deps deps-test configure configure-test program build demo demo-data test bench \
        format clean

all: build

## What the program needs: compiler, CMake, Ninja, ccache, LibTorch, OpenCV and the other
## libraries.
deps:
	@scripts/install-deps.sh

## That, plus what the tests need: GoogleTest, Google Benchmark, Python torch/torchvision/numpy/
## OpenCV, Chromium, Node.js and playwright-core.
deps-test:
	@scripts/install-deps.sh --test

## A fresh build directory gets no test targets (their packages may be missing); one that
## `make test` configured keeps them, so `make demo` after `make test` does not reconfigure.
configure: deps
	@tests=; [ -f $(BUILD_DIR)/CMakeCache.txt ] || tests="$(TESTS_OFF)"; \
	$(call configure,$$tests)

configure-test: deps-test
	@$(call configure,$(TESTS_ON))

## The fashionseg binary and its libraries only.
program: configure
	@cmake --build $(BUILD_DIR) --target fashionseg -j $(JOBS)

## Everything: the program, the example, the tests.
build: configure-test
	@cmake --build $(BUILD_DIR) -j $(JOBS)

## The main job on the embedded default: the bundled model (models/fashionseg-ccp.fsm)
## segments the sample photos (samples/photos) and lists what each person wears.
demo: program
	@$(BUILD_DIR)/fashionseg predict samples/photos --tags samples/tags.csv --mask --color --overlay \
	  --json -o out/demo

## The data pipeline on a synthetic dataset (no model needed).
demo-data: program
	@$(BUILD_DIR)/fashionseg demo --output out/demo-data

## Every test; tests that need ../shared/data skip cleanly when it is absent.
test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 1500

bench: configure-test
	@cmake --build $(BUILD_DIR) --target benchmarks -j $(JOBS)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
