# Thin wrapper around Meson for the commands in the README.
# make demo   installs what is missing, builds, runs the main job
# make check  installs what is missing, builds twice, runs every test
# make bench  measures sundial beside the tools it replaces
# make fuzz   runs the libFuzzer harnesses (FUZZ_SECONDS each, default 60)

FUZZ_SECONDS ?= 60
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build demo check bench fuzz clean format format-check

all: build

deps:
	$(SUDO) scripts/install-deps

build/build.ninja:
	meson setup build

build: build/build.ninja
	ninja -C build

demo: deps build
	scripts/demo

check: deps
	scripts/check

bench: deps build
	bench/query
	bench/traffic
	bench/noise
	bench/collect
	bench/snmp
	bench/stats
	bench/dnssec

fuzz: deps
	@[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzzing=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ninja -C build-fuzz
	@for f in build-fuzz/tests/fuzz_*; do \
		[ -f "$$f" ] && [ -x "$$f" ] || continue; \
		n=$${f##*/fuzz_}; mkdir -p build-fuzz/corpus-$$n; \
		echo "== $$f ($(FUZZ_SECONDS) s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; \
	done

format:
	clang-format -i src/*/*.[ch] tests/*/*.c

format-check:
	clang-format --dry-run --Werror src/*/*.[ch] tests/*/*.c

clean:
	rm -rf build build-asan build-fuzz build*.log
