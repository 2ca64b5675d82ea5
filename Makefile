# Thin wrapper over CMake. `make` builds build/eddy; `make test` installs what is
# missing, builds and runs every test through ctest; `make run` starts the server.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
DATA_DIR ?= $(CURDIR)/data

.PHONY: all deps deps-check test asan tsan run fuzz bench-log bench-kafka clean format

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

tsan:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps
	cmake -S . -B build-tsan -DEDDY_TSAN=ON >/dev/null
	@$(MAKE) --no-print-directory -C build-tsan -j$(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j$(JOBS) -L unit

fuzz:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps
	CC=clang cmake -S . -B build-fuzz -DEDDY_FUZZ=ON >/dev/null
	@$(MAKE) --no-print-directory -C build-fuzz -j$(JOBS)

run: deps-check all
	$(BUILD)/eddy server --data-dir $(DATA_DIR)

bench-log: all
	bench/log

bench-kafka: all
	bench/kafka

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c')

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
