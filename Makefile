# The two set-up commands: `make run` and `make test` (see README.md).
# Each installs missing Debian packages, configures and builds into build/.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test test-all bench format clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/chaoschip run

# Default suite: everything but the long validations (label "long").
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE long

test-all: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@CHAOSCHIP_EXTRAS=1 ./scripts/install-deps.sh
	./bench/run_all.sh $(BUILD)

format:
	find core models neuromorphic io cli tests bench examples -name '*.hpp' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
