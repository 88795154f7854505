# vdpasim top-level build.  Out-of-tree in build/<variant>/:
#   rel  -O2, the vdpasim binary users run and the benchmarks
#   asan -O1 with AddressSanitizer and UndefinedBehaviorSanitizer, what `make test` runs
#   cov  --coverage, for `make coverage`
#   fuzz clang + libFuzzer instrumentation, ASan, UBSan, for `make fuzz` (built with CC=clang)
# Sources are found by wildcard: a new component is a new folder, no Makefile edit.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
CFLAGS  ?= -O2 -g
PKGS    := lua5.4 libpcap cunit
SEED    ?= 1

# Flags the build needs whatever the user passes in CFLAGS.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
REQ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Iinclude -I. $(PKG_CFLAGS) -MMD -MP
LDLIBS     := $(PKG_LIBS) -lm

LIB_SRCS   := $(sort $(wildcard sim/*/*.c stack/*/*.c script/*.c conformance/*.c conformance/*/*.c))
CLI_SRCS   := $(sort $(wildcard cli/*.c))
TEST_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
TEST_HELP  := $(sort $(filter-out $(TEST_SRCS),$(wildcard tests/unit/*.c)))
BENCH_SRCS := $(sort $(wildcard bench/*.c))
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

VARIANT_rel_CFLAGS  := $(CFLAGS)
VARIANT_asan_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
VARIANT_cov_CFLAGS  := -O0 -g --coverage -DVDPASIM_COVERAGE
VARIANT_fuzz_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined

# $(1) = variant name
define variant
B_$(1) := build/$(1)
OBJ_LIB_$(1)   := $$(LIB_SRCS:%.c=build/$(1)/%.o)
OBJ_CLI_$(1)   := $$(CLI_SRCS:%.c=build/$(1)/%.o)
OBJ_HELP_$(1)  := $$(TEST_HELP:%.c=build/$(1)/%.o)
TESTS_$(1)     := $$(TEST_SRCS:tests/unit/%.c=build/$(1)/tests/%)
BENCHES_$(1)   := $$(BENCH_SRCS:bench/%.c=build/$(1)/bench/%)
REPLAY_$(1)    := $$(FUZZ_SRCS:tests/fuzz/fuzz_%.c=build/$(1)/fuzz/replay_%)

build/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(REQ_CFLAGS) $$(VARIANT_$(1)_CFLAGS) -c $$< -o $$@

build/$(1)/script/version.o: script/version.c build/version.txt
	@mkdir -p $$(@D)
	$$(CC) $$(REQ_CFLAGS) $$(VARIANT_$(1)_CFLAGS) -DVDPASIM_VERSION='"$$(VERSION)"' -c $$< -o $$@

build/$(1)/libvdpasim.a: $$(OBJ_LIB_$(1))
	@mkdir -p $$(@D)
	@rm -f $$@
	ar rcs $$@ $$^

build/$(1)/vdpasim: $$(OBJ_CLI_$(1)) build/$(1)/libvdpasim.a
	$$(CC) $$(VARIANT_$(1)_CFLAGS) -rdynamic -o $$@ $$(OBJ_CLI_$(1)) build/$(1)/libvdpasim.a $$(LDLIBS) -ldl

build/$(1)/tests/%: build/$(1)/tests/unit/%.o $$(OBJ_HELP_$(1)) build/$(1)/libvdpasim.a
	@mkdir -p $$(@D)
	$$(CC) $$(VARIANT_$(1)_CFLAGS) -rdynamic -o $$@ $$< $$(OBJ_HELP_$(1)) build/$(1)/libvdpasim.a $$(LDLIBS) -ldl

build/$(1)/bench/%: build/$(1)/bench/%.o build/$(1)/libvdpasim.a
	@mkdir -p $$(@D)
	$$(CC) $$(VARIANT_$(1)_CFLAGS) -o $$@ $$< build/$(1)/libvdpasim.a $$(LDLIBS) -ldl

# A fuzz harness linked with tests/fuzz/replay.c: feeds it files, no libFuzzer needed.
build/$(1)/fuzz/replay_%: build/$(1)/tests/fuzz/fuzz_%.o build/$(1)/tests/fuzz/replay.o build/$(1)/libvdpasim.a
	@mkdir -p $$(@D)
	$$(CC) $$(VARIANT_$(1)_CFLAGS) -o $$@ $$^ $$(LDLIBS) -ldl

-include $$(OBJ_LIB_$(1):.o=.d) $$(OBJ_CLI_$(1):.o=.d) $$(OBJ_HELP_$(1):.o=.d) \
	$$(TEST_SRCS:%.c=build/$(1)/%.d) $$(BENCH_SRCS:%.c=build/$(1)/%.d) \
	$$(FUZZ_SRCS:%.c=build/$(1)/%.d) build/$(1)/tests/fuzz/replay.d
endef

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)
# build/version.txt changes only when the version does, so only version.o rebuilds.
$(shell mkdir -p build && (echo '$(VERSION)' | cmp -s - build/version.txt || echo '$(VERSION)' > build/version.txt))

$(eval $(call variant,rel))
$(eval $(call variant,asan))
$(eval $(call variant,cov))
$(eval $(call variant,fuzz))

# libFuzzer programs (fuzz variant objects; make them with CC=clang, as `make fuzz` does).
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=build/fuzz/bin/fuzz_%)
build/fuzz/bin/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o build/fuzz/libvdpasim.a
	@mkdir -p $(@D)
	$(CC) $(VARIANT_fuzz_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS) -ldl

.PHONY: all run test unit-test scenario-test coverage bench fuzz fuzz-merge fuzz-minimize install clean deps
.SECONDARY:

# Public targets install missing packages first, then build in a sub-make so that
# pkg-config is asked again once the packages are there.
all: deps
	@$(MAKE) --no-print-directory build/rel/vdpasim

# Installs the Debian packages that are missing (says what it does), nothing otherwise.
deps:
	@tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory build/rel/vdpasim
	build/rel/vdpasim run $(firstword $(wildcard scenarios/migrate.lua scenarios/datapath.lua) scenarios/smoke.lua) --seed $(SEED)

unit-test: $(TESTS_asan)
	@tools/run-unit-tests.sh $(TESTS_asan)

scenario-test: build/asan/vdpasim build/rel/vdpasim
	@tools/run-scenario-tests.sh build/asan/vdpasim

NPROC := $(shell nproc 2>/dev/null || echo 2)

test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) unit-test-all

# Runs every suite even when one fails, then reports once.
.PHONY: unit-test-all
unit-test-all: $(TESTS_asan) $(REPLAY_asan) build/asan/vdpasim build/rel/vdpasim
	@rc=0; \
	tools/run-unit-tests.sh $(TESTS_asan) || rc=1; \
	tools/run-fuzz-replay.sh $(REPLAY_asan) || rc=1; \
	tools/run-scenario-tests.sh build/asan/vdpasim || rc=1; \
	tools/test-summary.sh; \
	exit $$rc

# COVERAGE_GATES=0 make coverage: report only, never fail on the thresholds.
coverage: deps
	@$(MAKE) --no-print-directory $(TESTS_cov) $(REPLAY_cov) build/cov/vdpasim
	@FUZZ_REPLAY="$(REPLAY_cov)" tools/coverage.sh $(TESTS_cov)

bench: deps
	@$(MAKE) --no-print-directory $(BENCHES_rel) build/rel/vdpasim
	@tools/run-bench.sh $(BENCHES_rel)

# make fuzz [FUZZ_SECONDS=60] [FUZZ=name...]: run each harness (or the named ones) that long.
FUZZ_SECONDS ?= 60
FUZZ ?=
fuzz: deps
	@$(MAKE) --no-print-directory CC=clang $(FUZZ_BINS)
	@tools/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ)

# Add what build/fuzz/corpus/<name>/ found to the checked-in corpus (only inputs that
# add coverage); fuzz-minimize rewrites the checked-in corpus to a minimal set instead.
fuzz-merge fuzz-minimize: deps
	@$(MAKE) --no-print-directory CC=clang $(FUZZ_BINS)
	@tools/fuzz.sh $(patsubst fuzz-%,%,$@) $(FUZZ)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/vdpasim/scenarios/lib
	install -m 0755 build/rel/vdpasim $(DESTDIR)$(PREFIX)/bin/vdpasim
	install -m 0644 $(wildcard scenarios/*.lua) $(DESTDIR)$(PREFIX)/share/vdpasim/scenarios/
	$(if $(wildcard scenarios/lib/*.lua),install -m 0644 $(wildcard scenarios/lib/*.lua) $(DESTDIR)$(PREFIX)/share/vdpasim/scenarios/lib/)

clean:
	rm -rf build out reports/coverage
