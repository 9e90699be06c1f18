# The two set-up commands: `make run` and `make test` (see README.md).
# Each installs missing Debian packages, configures and builds into build/.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test test-all bench format clean \
        check-sanitize check-portable fuzz

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

# The other builds a user may make, each in its own directory.
SANITIZE_BUILD ?= build-sanitize
PORTABLE_BUILD ?= build-portable
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = config profile case_file run_file nir
# Every sanitizer report fails its test (non-zero exit) and is also written to
# $(SANITIZE_BUILD)/reports/, which must stay empty; OpenMPI's start-up leaks are suppressed.
SANITIZE_ENV = ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1:allocator_may_return_null=1:log_path=$(CURDIR)/$(SANITIZE_BUILD)/reports/asan \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(CURDIR)/$(SANITIZE_BUILD)/reports/ubsan \
  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0

# Portable (no -march=native), RelWithDebInfo, AddressSanitizer + UndefinedBehaviorSanitizer:
# the unit tests and the CLI suite, with zero sanitizer reports.
check-sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHAOSCHIP_NATIVE=OFF \
	  -DCHAOSCHIP_SANITIZE=ON -DCHAOSCHIP_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_BUILD) -j $(JOBS) --target chaoschip unit_tests
	rm -rf $(SANITIZE_BUILD)/reports && mkdir -p $(SANITIZE_BUILD)/reports
	cd $(SANITIZE_BUILD) && $(SANITIZE_ENV) ctest --output-on-failure -j $(JOBS) -LE long -E '^validation[.]'
	@# allocator_may_return_null=1: a huge malloc returns NULL, as glibc's does (libhdf5 asks
	@# for terabytes on damaged files, tests/cli/damaged_files.sh); ASan notes each such
	@# refusal ("failed to allocate"), which is not a finding. Any other line is.
	@if [ -n "$$(ls -A $(SANITIZE_BUILD)/reports)" ] && \
	  grep -qv "WARNING: AddressSanitizer failed to allocate" $(SANITIZE_BUILD)/reports/*; then \
	  cat $(SANITIZE_BUILD)/reports/*; echo "check-sanitize: sanitizer reports above"; exit 1; fi
	@echo "check-sanitize: no sanitizer reports"

# The default suite on a portable build (CHAOSCHIP_NATIVE=OFF: no -march=native).
check-portable: deps
	cmake -S . -B $(PORTABLE_BUILD) -DCMAKE_BUILD_TYPE=Release -DCHAOSCHIP_NATIVE=OFF \
	  -DCHAOSCHIP_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(PORTABLE_BUILD) -j $(JOBS)
	cd $(PORTABLE_BUILD) && ctest --output-on-failure -j $(JOBS) -LE long

# Every libFuzzer target for FUZZ_SECONDS, starting from tests/fuzz/corpus/<target>/; new
# inputs go to $(FUZZ_BUILD)/corpus/<target>/, findings to $(FUZZ_BUILD)/findings/<target>/
# (fork mode keeps fuzzing after one; any finding fails the target at the end). malloc returns
# NULL for an impossible size, as glibc does outside AddressSanitizer: libhdf5 asks for
# terabytes on some damaged files and fails cleanly when refused.
fuzz:
	@CHAOSCHIP_FUZZ_DEPS=1 ./scripts/install-deps.sh
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHAOSCHIP_NATIVE=OFF \
	  -DCHAOSCHIP_FUZZ=ON -DCHAOSCHIP_BUILD_TESTS=OFF -DCHAOSCHIP_BUILD_BENCH=OFF \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	rm -rf $(FUZZ_BUILD)/findings
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/findings/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=allocator_may_return_null=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0 \
	  $(FUZZ_BUILD)/bin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 -max_len=65536 \
	    -artifact_prefix=$(FUZZ_BUILD)/findings/$$t/ $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
	    > $(FUZZ_BUILD)/fuzz-$$t.log 2>&1; \
	  grep -a "cov:" $(FUZZ_BUILD)/fuzz-$$t.log | tail -1; \
	done
	@if [ -n "$$(ls -A $(FUZZ_BUILD)/findings/*)" ]; then \
	  ls -l $(FUZZ_BUILD)/findings/*; echo "fuzz: findings above (logs: $(FUZZ_BUILD)/fuzz-*.log)"; exit 1; fi
	@echo "fuzz: no findings"

format:
	find core models neuromorphic io cli tests bench examples -name '*.hpp' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
