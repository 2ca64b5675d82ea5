# Thin wrapper over CMake. `make` builds build/eddy; `make test` installs what is
# missing, builds and runs every test through ctest; `make run` starts the server.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
DATA_DIR ?= $(CURDIR)/data

.PHONY: all deps deps-check test asan asan-unit tsan run fuzz fuzz-run bench-log bench-kafka clean \
	format format-check check-layers ci

all: $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)

$(BUILD)/Makefile: CMakeLists.txt
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps
	cmake -S . -B $(BUILD) >/dev/null

# test and run check the dependencies every time (a quick dpkg query): test
# clients such as npm modules may have been added since the build was configured.
deps-check:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

deps:
	scripts/install-deps

test: deps-check all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

asan:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps
	cmake -S . -B build-asan -DEDDY_SANITIZE=ON >/dev/null
	@$(MAKE) --no-print-directory -C build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j$(JOBS) -LE bench

# The unit tests and the fuzz-corpus replays under ASan + UBSan (what CI runs;
# `make asan` also runs the integration tests).
asan-unit:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps
	cmake -S . -B build-asan -DEDDY_SANITIZE=ON >/dev/null
	@$(MAKE) --no-print-directory -C build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j$(JOBS) -L 'unit|fuzz'

tsan:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps
	cmake -S . -B build-tsan -DEDDY_TSAN=ON >/dev/null
	@$(MAKE) --no-print-directory -C build-tsan -j$(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j$(JOBS) -L unit

fuzz:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps
	CC=clang cmake -S . -B build-fuzz -DEDDY_FUZZ=ON >/dev/null
	@$(MAKE) --no-print-directory -C build-fuzz -j$(JOBS)

# Runs each libFuzzer target of tests/fuzz for FUZZ_SECONDS from a copy of its
# checked-in corpus (the tree is not changed); fails if one finds a crash, a
# leak or a timeout. Crash inputs and logs are kept in $(FUZZ_OUT).
FUZZ_SECONDS ?= 20
FUZZ_OUT ?= build-fuzz/fuzz-run
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz-run:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps
	CC=clang cmake -S . -B build-fuzz -DEDDY_FUZZ=ON >/dev/null
	@$(MAKE) --no-print-directory -C build-fuzz -j$(JOBS) $(FUZZ_TARGETS)
	@rm -rf $(FUZZ_OUT); mkdir -p $(FUZZ_OUT); fail=0; \
	for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_OUT)/$$t/corpus $(FUZZ_OUT)/$$t/crash; \
		cp -R tests/fuzz/corpus/$$t/. $(FUZZ_OUT)/$$t/corpus/; \
		if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		   build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=30 -rss_limit_mb=2048 \
		   -print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/$$t/crash/ \
		   $(FUZZ_OUT)/$$t/corpus >$(FUZZ_OUT)/$$t/log 2>&1; then \
			echo "fuzz-run: $$t ok: $$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' $(FUZZ_OUT)/$$t/log | grep -oE '[0-9]+$$') runs in $(FUZZ_SECONDS) s"; \
		else \
			echo "fuzz-run: $$t FAILED (log: $(FUZZ_OUT)/$$t/log, inputs: $(FUZZ_OUT)/$$t/crash/)"; \
			grep -E -A30 '^==[0-9]+==ERROR|runtime error|SUMMARY' $(FUZZ_OUT)/$$t/log | head -60; \
			fail=1; \
		fi; \
	done; exit $$fail

run: deps-check all
	$(BUILD)/eddy server --data-dir $(DATA_DIR)

bench-log: all
	bench/log

bench-kafka: all
	bench/kafka

# format rewrites every tracked .c/.h with .clang-format (clang-format 14);
# format-check lists the files that differ and fails (CI runs it).
format:
	scripts/check-format --fix

format-check:
	scripts/check-format

check-layers:
	scripts/check-layers

# What CI runs (.ci/run); FUZZ_SECONDS sets the time per fuzz target.
ci:
	.ci/run

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
