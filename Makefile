# devstack: build, test and install; bring the bundled stack up.
#
#   make up            everything a fresh clone needs, then the stack: packages,
#                      engine, images (scripts/setup.sh --stack), build/devstack,
#                      devstack up -d --wait (prints the URLs)
#   make               build build/devstack
#   make test          installs what the tests need (scripts/setup.sh: test packages,
#                      the devcontainers CLI, engine, the stack's images), then every
#                      test tier: unit, cli, integration and e2e (each on the machine's
#                      engine, Docker Engine 26.1 and Podman 4.3, side by side)
#   make unit | cli | integration | e2e   one tier, after the same setup (unit: packages only;
#                      integration and e2e on the machine's engine)
#   make integration-engine26 | integration-podman   the integration tier on Docker
#                      Engine 26.1 or on Podman 4.3 (tests/engine-matrix.sh)
#   make integration-all | e2e-all   the integration or e2e tier on all three engines, side by side
#   make asan          unit, cli, integration and e2e tests under AddressSanitizer + UBSan
#   make valgrind      unit, cli, integration and e2e tests under valgrind
#   make fuzz          run each libFuzzer target for FUZZ_SECONDS (default 60)
#   make bench         the benchmark scripts (figures, not pass/fail)
#   make down | ps     devstack down / ps for the bundled stack
#   make logs | shell  follow the logs / open a shell in the backend (s=SERVICE for another)
#   make test-backend  the backend's tests (devcontainer/tests) in a one-off container
#   make run s=SERVICE [cmd="..."]   a one-off container of SERVICE (devstack run --rm)
#   make db-migrate msg=...  autogenerate + upgrade; db-upgrade, db-downgrade, db-stamp rev=,
#                      db-current, db-history, db-heads, db-check, db-sql, db-wait
#   make db-dump [file=] | db-restore file=... | db-snapshot [name=] | db-snapshots | db-shell
#   make reset [keep_data=1] | clear [all=1] [dry_run=1]   (they ask; yes=1 does not)
#   make setup         install dependencies and start an engine (scripts/setup.sh)
#   make install PREFIX=/usr/local DESTDIR=   devstack, devstack(1), bash and zsh completion
#   make format | format-check | clean
#
# DEVELOPER=0 builds without -Werror (for packagers with other compilers); V=1 shows commands;
# SKIP_SETUP=1 runs the test targets without their setup (when it has just run, as in .ci/run).

SHELL    := /bin/bash
CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
DEVELOPER ?= 1
BUILD    ?= build
VERSION  := $(shell cat VERSION)

PKGS      := libcurl libcjson yaml-0.1 mysqlclient libpq libcrypto zlib libprotobuf-c libnghttp2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wvla -Wpointer-arith -Wno-missing-field-initializers -Wundef
ifeq ($(DEVELOPER),1)
WARNINGS += -Werror
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

OPT      ?= -O2
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARNINGS) -fno-strict-aliasing \
              -Isrc -Itests -I$(BUILD)/gen -DDEVSTACK_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(CFLAGS)
# http-parser has no pkg-config file; it parses the answer of a hijacked exec connection
LDLIBS_ALL := -Wl,--as-needed $(PKG_LIBS) -lhttp_parser -lpthread $(LDLIBS)

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# C generated from .proto files by protoc-c (BuildKit's progress messages), in $(BUILD)/gen
PROTO_SRC := $(sort $(wildcard src/*/*.proto))
GEN_SRC  := $(patsubst src/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTO_SRC))
GEN_HDR  := $(GEN_SRC:.c=.h)
LIB_SRC  := $(sort $(wildcard src/*/*.c)) $(GEN_SRC)
CMD_SRC  := $(sort $(wildcard cmd/devstack/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
INTEG_SRC := $(sort $(wildcard tests/integration/test_*.c))
INTEG_SH  := $(sort $(wildcard tests/integration/test_*.sh))
E2E_SH    := $(sort $(wildcard tests/e2e/test_*.sh))
TESTLIB_SRC := $(sort $(wildcard tests/lib/*.c))
# the part of cmd/ that is plain functions over tables, which unit tests link
CMD_UNIT_SRC := cmd/devstack/reference.c
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))

# Objects of a build variant live under $(BUILD)/<variant>/ so that asan and
# plain objects never mix.
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

LIB_OBJ   := $(call objs,obj,$(LIB_SRC))
CMD_OBJ   := $(call objs,obj,$(CMD_SRC))
TESTLIB_OBJ := $(call objs,obj,$(TESTLIB_SRC))
CMD_UNIT_OBJ := $(call objs,obj,$(CMD_UNIT_SRC))
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
INTEG_BIN := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRC))

ASAN_LIB_OBJ := $(call objs,asan,$(LIB_SRC))
ASAN_CMD_OBJ := $(call objs,asan,$(CMD_SRC))
ASAN_TESTLIB_OBJ := $(call objs,asan,$(TESTLIB_SRC))
ASAN_CMD_UNIT_OBJ := $(call objs,asan,$(CMD_UNIT_SRC))
ASAN_UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/unit/%,$(UNIT_SRC))
ASAN_INTEG_BIN := $(patsubst tests/integration/%.c,$(BUILD)/asan/tests/integration/%,$(INTEG_SRC))
REPLAY_BIN := $(patsubst %,$(BUILD)/tests/fuzz/replay-%,$(FUZZ_TARGETS))
ASAN_REPLAY_BIN := $(patsubst %,$(BUILD)/asan/tests/fuzz/replay-%,$(FUZZ_TARGETS))
FUZZ_LIB_OBJ := $(call objs,fuzz,$(LIB_SRC))
FUZZ_BIN := $(patsubst %,$(BUILD)/fuzz/fuzz-%,$(FUZZ_TARGETS))

.SECONDARY:

.PHONY: all test unit cli integration integration-engine26 integration-podman integration-all e2e e2e-all asan valgrind setup install uninstall clean \
        format format-check check-deps tests-build fuzz bench up down ps logs shell test-backend run \
        db-migrate db-bootstrap db-upgrade db-downgrade db-stamp db-current db-history \
        db-heads db-check db-sql db-wait db-dump db-restore db-snapshot db-snapshots db-shell \
        reset clear

all: $(BUILD)/devstack $(BUILD)/devstack.1 $(BUILD)/completion/devstack.bash \
     $(BUILD)/completion/_devstack

check-deps:
	@test -f /usr/include/http_parser.h || { \
	  echo "error: missing build dependency http-parser"; \
	  echo "hint: run 'make setup' (as root) or: apt-get install libhttp-parser-dev"; \
	  exit 1; }
	@command -v protoc-c >/dev/null || { \
	  echo "error: missing build dependency protoc-c"; \
	  echo "hint: run 'make setup' (as root) or: apt-get install protobuf-c-compiler"; \
	  exit 1; }
	@pkg-config --exists $(PKGS) cmocka || { \
	  echo "error: missing build dependencies ($(PKGS) cmocka)"; \
	  echo "hint: run 'make setup' (as root) or: apt-get install pkg-config libcurl4-openssl-dev libcjson-dev libyaml-dev default-libmysqlclient-dev libpq-dev libssl-dev zlib1g-dev libprotobuf-c-dev libnghttp2-dev libcmocka-dev"; \
	  exit 1; }

# ---- plain build -----------------------------------------------------------

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: src/%.proto
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  PROTOC  $<",true)
	$(Q)protoc-c --proto_path=$(dir $<) --c_out=$(dir $@) $<

# The library's objects may include a generated header: it exists before they compile.
$(LIB_OBJ) $(ASAN_LIB_OBJ) $(FUZZ_LIB_OBJ): | $(GEN_HDR)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<",true)
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# Made afresh each time: an archive updated in place keeps the objects of deleted sources.
$(BUILD)/libdevstack.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/devstack: $(CMD_OBJ) $(BUILD)/libdevstack.a
	@$(if $(Q),echo "  LINK    $@",true)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/unit/%: tests/unit/%.c $(TESTLIB_OBJ) $(CMD_UNIT_OBJ) $(BUILD)/libdevstack.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@",true)
	$(Q)$(CC) $(CFLAGS_ALL) $(CMOCKA_CFLAGS) -Itests -MMD -MP -o $@ $< $(TESTLIB_OBJ) \
	    $(CMD_UNIT_OBJ) $(BUILD)/libdevstack.a $(LDFLAGS) $(LDLIBS_ALL) $(CMOCKA_LIBS)

$(BUILD)/tests/integration/%: tests/integration/%.c $(TESTLIB_OBJ) $(BUILD)/libdevstack.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@",true)
	$(Q)$(CC) $(CFLAGS_ALL) $(CMOCKA_CFLAGS) -Itests -MMD -MP -o $@ $< $(TESTLIB_OBJ) \
	    $(BUILD)/libdevstack.a $(LDFLAGS) $(LDLIBS_ALL) $(CMOCKA_LIBS)

# devstack(1) and the completion scripts, written by devstack from its command
# tables; the page is dated by the last commit, so that a rebuild is the same
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null)

$(BUILD)/devstack.1: $(BUILD)/devstack
	@$(if $(Q),echo "  MAN     $@",true)
	$(Q)$(BUILD)/devstack __man $(if $(MAN_DATE),--date $(MAN_DATE)) >$@.tmp && mv $@.tmp $@

$(BUILD)/completion/devstack.bash: $(BUILD)/devstack
	@mkdir -p $(dir $@)
	$(Q)$(BUILD)/devstack completion bash >$@.tmp && mv $@.tmp $@

$(BUILD)/completion/_devstack: $(BUILD)/devstack
	@mkdir -p $(dir $@)
	$(Q)$(BUILD)/devstack completion zsh >$@.tmp && mv $@.tmp $@

# ---- sanitizer build -------------------------------------------------------

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC asan $<",true)
	$(Q)$(CC) $(CFLAGS_ALL) $(SAN_FLAGS) -O1 -MMD -MP -c $< -o $@

$(BUILD)/asan/libdevstack.a: $(ASAN_LIB_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/asan/devstack: $(ASAN_CMD_OBJ) $(BUILD)/asan/libdevstack.a
	@$(if $(Q),echo "  LINK    $@",true)
	$(Q)$(CC) $(CFLAGS_ALL) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/asan/tests/unit/%: tests/unit/%.c $(ASAN_TESTLIB_OBJ) $(ASAN_CMD_UNIT_OBJ) \
                           $(BUILD)/asan/libdevstack.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@",true)
	$(Q)$(CC) $(CFLAGS_ALL) $(SAN_FLAGS) -O1 $(CMOCKA_CFLAGS) -Itests -MMD -MP -o $@ $< \
	    $(ASAN_TESTLIB_OBJ) $(ASAN_CMD_UNIT_OBJ) $(BUILD)/asan/libdevstack.a $(LDFLAGS) \
	    $(LDLIBS_ALL) $(CMOCKA_LIBS)

$(BUILD)/asan/tests/integration/%: tests/integration/%.c $(ASAN_TESTLIB_OBJ) $(BUILD)/asan/libdevstack.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@",true)
	$(Q)$(CC) $(CFLAGS_ALL) $(SAN_FLAGS) -O1 $(CMOCKA_CFLAGS) -Itests -MMD -MP -o $@ $< \
	    $(ASAN_TESTLIB_OBJ) $(BUILD)/asan/libdevstack.a $(LDFLAGS) $(LDLIBS_ALL) $(CMOCKA_LIBS)

# ---- fuzzing ----------------------------------------------------------------

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := $(filter-out -O2 -g,$(CFLAGS_ALL)) -g -O1 -fno-omit-frame-pointer

$(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC fuzz $<",true)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@

$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@$(if $(Q),echo "  LINK    $@",true)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS_ALL)

# The same targets without libFuzzer: `make test` replays the corpus through them.
$(BUILD)/tests/fuzz/replay-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(BUILD)/libdevstack.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@",true)
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDFLAGS) $(LDLIBS_ALL)

$(BUILD)/asan/tests/fuzz/replay-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(BUILD)/asan/libdevstack.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@",true)
	$(Q)$(CC) $(CFLAGS_ALL) $(SAN_FLAGS) -O1 -o $@ $^ $(LDFLAGS) $(LDLIBS_ALL)

fuzz: check-deps $(FUZZ_BIN)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(BUILD)/fuzz/corpus-$$t $(BUILD)/fuzz/crashes-$$t; \
	    echo "== fuzz $$t for $(FUZZ_SECONDS)s"; \
	    $(BUILD)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=$(BUILD)/fuzz/crashes-$$t/ -rss_limit_mb=2048 \
	        $(BUILD)/fuzz/corpus-$$t tests/fuzz/corpus/$$t 2>&1 | \
	        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|SUMMARY' ; \
	    test $${PIPESTATUS[0]} -eq 0 || { echo "fuzz $$t: failure; the input is in $(BUILD)/fuzz/crashes-$$t/"; exit 1; }; \
	done

# ---- tests -----------------------------------------------------------------

RUN_TESTS = tests/run-tests.sh

tests-build: $(BUILD)/devstack $(UNIT_BIN) $(INTEG_BIN) $(REPLAY_BIN)

# Every test target first makes sure of what its tests need: scripts/setup.sh
# installs what is missing (packages with the test tools, the devcontainers
# CLI), starts an engine if none answers and chooses the stack's images; quick
# when everything is there. Not root and something missing: it fails at once
# and names the command that installs it. `make unit` needs packages only
# (--deps-only). The target then runs in a new make, which reads the flags of
# the libraries setup may just have installed. SKIP_SETUP=1 leaves setup out
# (.ci/run, whose own setup has just run).
TEST_TARGETS := test unit cli integration integration-engine26 integration-podman integration-all e2e \
    e2e-all asan valgrind

ifneq ($(SKIP_SETUP),1)

$(TEST_TARGETS):
	@scripts/setup.sh $(if $(filter unit,$@),--deps-only)
	@$(MAKE) --no-print-directory $@ SKIP_SETUP=1

else

test: check-deps tests-build
	@$(RUN_TESTS) --tier unit $(UNIT_BIN)
	@REPLAY_DIR=$(abspath $(BUILD)/tests/fuzz) $(RUN_TESTS) --tier fuzz-replay tests/fuzz/replay.sh
	@DEVSTACK=$(abspath $(BUILD)/devstack) $(RUN_TESTS) --tier cli tests/cli/test_*.sh
	@DEVSTACK=$(abspath $(BUILD)/devstack) tests/engine-matrix.sh machine,engine26,podman integration \
	    $(INTEG_BIN) $(INTEG_SH)
	@DEVSTACK=$(abspath $(BUILD)/devstack) tests/engine-matrix.sh machine,engine26,podman e2e $(E2E_SH)

unit: check-deps $(UNIT_BIN) $(REPLAY_BIN)
	@$(RUN_TESTS) --tier unit $(UNIT_BIN)
	@REPLAY_DIR=$(abspath $(BUILD)/tests/fuzz) $(RUN_TESTS) --tier fuzz-replay tests/fuzz/replay.sh

cli: check-deps $(BUILD)/devstack
	@DEVSTACK=$(abspath $(BUILD)/devstack) $(RUN_TESTS) --tier cli tests/cli/test_*.sh

# prepare.sh: an engine answers, and the test image's root file system (which
# the C tests import) and the image itself are there.
integration: check-deps $(BUILD)/devstack $(INTEG_BIN)
	@tests/integration/prepare.sh
	@DEVSTACK=$(abspath $(BUILD)/devstack) $(RUN_TESTS) --tier integration $(INTEG_BIN) $(INTEG_SH)

# The integration tier again, against Docker Engine 26.1 (API 1.45) beside the
# machine's engine (tests/engine-matrix.sh; tests/engines/engine26.txt names
# what does not run there and why).
integration-engine26: check-deps $(BUILD)/devstack $(INTEG_BIN)
	@DEVSTACK=$(abspath $(BUILD)/devstack) tests/engine-matrix.sh engine26 integration $(INTEG_BIN) $(INTEG_SH)

# ... and against Podman 4.3's Docker-compatible API (tests/engines/podman.txt
# names what does not run there, and the checks in which Podman differs).
integration-podman: check-deps $(BUILD)/devstack $(INTEG_BIN)
	@DEVSTACK=$(abspath $(BUILD)/devstack) tests/engine-matrix.sh podman integration $(INTEG_BIN) $(INTEG_SH)

# The integration tier on the three engines at once, each side engine's tier in
# its own network namespace (as make test runs it).
integration-all: check-deps $(BUILD)/devstack $(INTEG_BIN)
	@DEVSTACK=$(abspath $(BUILD)/devstack) tests/engine-matrix.sh machine,engine26,podman integration \
	    $(INTEG_BIN) $(INTEG_SH)

# The bundled stack, end to end (with the images setup chose) and the dev
# container through the devcontainers CLI.
e2e: check-deps $(BUILD)/devstack
	@DEVSTACK=$(abspath $(BUILD)/devstack) $(RUN_TESTS) --tier e2e $(E2E_SH)

# ... on the three engines at once (as make test runs it; tests/engines/ names
# the check that differs on Podman).
e2e-all: check-deps $(BUILD)/devstack
	@DEVSTACK=$(abspath $(BUILD)/devstack) tests/engine-matrix.sh machine,engine26,podman e2e $(E2E_SH)

asan: check-deps $(BUILD)/asan/devstack $(ASAN_UNIT_BIN) $(ASAN_INTEG_BIN) $(ASAN_REPLAY_BIN)
	@tests/integration/prepare.sh
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 DEVSTACK=$(abspath $(BUILD)/asan/devstack) REPLAY_DIR=$(abspath $(BUILD)/asan/tests/fuzz) \
	 $(RUN_TESTS) --tier asan $(ASAN_UNIT_BIN) tests/fuzz/replay.sh tests/cli/test_*.sh \
	     $(ASAN_INTEG_BIN) $(INTEG_SH) $(E2E_SH)

# build/devstack under valgrind for the cli tests (which clear the environment):
# memory errors and leaks become exit code 99, which no test expects.
$(BUILD)/valgrind-devstack: $(BUILD)/devstack
	@printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect %s "$$@"\n' \
	    "$(abspath $(BUILD)/devstack)" >$@
	@chmod +x $@

valgrind: check-deps tests-build $(BUILD)/valgrind-devstack
	@tests/integration/prepare.sh
	@DEVSTACK=$(abspath $(BUILD)/valgrind-devstack) \
	 $(RUN_TESTS) --tier valgrind --valgrind $(UNIT_BIN) tests/cli/test_cli.sh tests/cli/test_config.sh \
	     tests/cli/test_corpus.sh $(INTEG_BIN) $(INTEG_SH) $(E2E_SH)

endif

# ---- the bundled stack --------------------------------------------------------

DS := $(BUILD)/devstack

# What the user gives on the command line (msg=, rev=, file=, name=, s=) reaches
# devstack as exactly one argument each, through the environment: recipes say
# "$$DEVSTACK_MAKE_MSG", so no shell ever parses a value (``msg='add `id` col'``
# stays text), and $(value ...) keeps make from expanding one ('$(shell ...)'
# stays text too). Values that may start with '-' come after '--'. The switches
# (yes=, root=, keep_data=, all=, dry_run=) only choose a fixed option.
export DEVSTACK_MAKE_BIN := $(value DS)
export DEVSTACK_MAKE_MSG := $(value msg)
export DEVSTACK_MAKE_REV := $(value rev)
export DEVSTACK_MAKE_FILE := $(value file)
export DEVSTACK_MAKE_NAME := $(value name)
export DEVSTACK_MAKE_SERVICE := $(value s)
export DEVSTACK_MAKE_CMD := $(value cmd)
# make itself would export them to every recipe, expanded: it must not
unexport DS msg rev file name s cmd yes root keep_data all dry_run
switch = $(if $(value $(1)),$(2))
RUN_DS = "$$DEVSTACK_MAKE_BIN"

up:
	@scripts/setup.sh --stack
	@$(MAKE) -s --no-print-directory $(DS)
	$(RUN_DS) up -d --wait

# Migrations (Alembic): native reads, the rest run in the backend container.
#   make db-migrate msg="add notes"   autogenerate a revision and upgrade
#   make db-upgrade [rev=head] | db-downgrade [rev=-1] | db-stamp rev=REV
#   make db-current | db-history | db-heads | db-check | db-sql [rev=head]
db-migrate: $(DS)
	$(RUN_DS) migrate $${DEVSTACK_MAKE_MSG:+-m "$$DEVSTACK_MAKE_MSG"}

db-bootstrap: $(DS)
	$(RUN_DS) migrate --bootstrap

db-upgrade: $(DS)
	$(RUN_DS) db upgrade -- "$${DEVSTACK_MAKE_REV:-head}"

db-downgrade: $(DS)
	$(RUN_DS) db downgrade -- "$${DEVSTACK_MAKE_REV:--1}"

db-stamp: $(DS)
	@test -n "$$DEVSTACK_MAKE_REV" || { echo "usage: make db-stamp rev=REVISION" >&2; exit 2; }
	$(RUN_DS) db stamp -- "$$DEVSTACK_MAKE_REV"

db-current: $(DS)
	$(RUN_DS) db current -v

db-history: $(DS)
	$(RUN_DS) db history -i

db-heads: $(DS)
	$(RUN_DS) db heads

db-check: $(DS)
	$(RUN_DS) db check

db-sql: $(DS)
	$(RUN_DS) db sql -- "$${DEVSTACK_MAKE_REV:-head}"

db-wait: $(DS)
	$(RUN_DS) db wait

# Dumps, snapshots and the safe versions of the old scripts (ask first; yes=1 does not).
#   make db-dump [file=FILE]   make db-restore file=FILE   make db-snapshot [name=NAME]
#   make db-snapshots          make db-shell [root=1]
#   make reset [keep_data=1]   make clear [all=1] [dry_run=1]
db-dump: $(DS)
	$(RUN_DS) db dump $${DEVSTACK_MAKE_FILE:+-- "$$DEVSTACK_MAKE_FILE"}

db-restore: $(DS)
	@test -n "$$DEVSTACK_MAKE_FILE" || { echo "usage: make db-restore file=DUMP" >&2; exit 2; }
	$(RUN_DS) db restore $(call switch,yes,--yes) -- "$$DEVSTACK_MAKE_FILE"

db-snapshot: $(DS)
	$(RUN_DS) db snapshot $${DEVSTACK_MAKE_NAME:+-- "$$DEVSTACK_MAKE_NAME"}

db-snapshots: $(DS)
	$(RUN_DS) db snapshots

db-shell: $(DS)
	$(RUN_DS) db shell $(call switch,root,--root)

reset: $(DS)
	$(RUN_DS) reset $(call switch,keep_data,--keep-data) $(call switch,yes,--yes)

clear: $(DS)
	$(RUN_DS) clear $(call switch,all,--all) $(call switch,dry_run,--dry-run) $(call switch,yes,--yes)

# The stack's settings, from the example when missing (the dev container's
# initializeCommand asks for this before the compose files are read).
compose/.env:
	@scripts/seed-env.sh $@

down: $(DS)
	$(RUN_DS) down

ps: $(DS)
	$(RUN_DS) ps

# make logs [s=SERVICE] follows the stack's logs (Ctrl-C ends it)
logs: $(DS)
	$(RUN_DS) logs -f $${DEVSTACK_MAKE_SERVICE:+-- "$$DEVSTACK_MAKE_SERVICE"}

# make test-backend runs the backend's own tests (devcontainer/tests) in a one-off container
test-backend: $(DS)
	$(RUN_DS) run --rm backend python -m pytest -q tests

# make run s=SERVICE [cmd="COMMAND"] runs COMMAND (by the container's sh; else the
# service's command) in a one-off container of SERVICE, removed afterwards
run: $(DS)
	@test -n "$$DEVSTACK_MAKE_SERVICE" || { echo 'usage: make run s=SERVICE [cmd="COMMAND"]' >&2; exit 2; }
	$(RUN_DS) run --rm -- "$$DEVSTACK_MAKE_SERVICE" $${DEVSTACK_MAKE_CMD:+sh -c "$$DEVSTACK_MAKE_CMD"}

# make shell [s=SERVICE] opens a shell in the backend (or SERVICE)
shell: $(DS)
	$(RUN_DS) shell $${DEVSTACK_MAKE_SERVICE:+-- "$$DEVSTACK_MAKE_SERVICE"}

# ---- setup, install, style ---------------------------------------------------

setup:
	scripts/setup.sh

# DESTDIR and PREFIX keep make's meaning (packagers write PREFIX=$(HOME)/.local)
# but reach the shell through the environment, as one word each
install uninstall: export DEVSTACK_MAKE_BINDIR := $(DESTDIR)$(PREFIX)/bin
install uninstall: export DEVSTACK_MAKE_DATADIR := $(DESTDIR)$(PREFIX)/share

# the completions where bash-completion and zsh look for them under PREFIX
install: all
	install -D -m 0755 $(BUILD)/devstack "$$DEVSTACK_MAKE_BINDIR/devstack"
	install -D -m 0644 $(BUILD)/devstack.1 "$$DEVSTACK_MAKE_DATADIR/man/man1/devstack.1"
	install -D -m 0644 $(BUILD)/completion/devstack.bash \
	    "$$DEVSTACK_MAKE_DATADIR/bash-completion/completions/devstack"
	install -D -m 0644 $(BUILD)/completion/_devstack \
	    "$$DEVSTACK_MAKE_DATADIR/zsh/site-functions/_devstack"

uninstall:
	rm -f -- "$$DEVSTACK_MAKE_BINDIR/devstack" "$$DEVSTACK_MAKE_DATADIR/man/man1/devstack.1" \
	    "$$DEVSTACK_MAKE_DATADIR/bash-completion/completions/devstack" \
	    "$$DEVSTACK_MAKE_DATADIR/zsh/site-functions/_devstack"

FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find src cmd tests -name '*.[ch]')

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES)
	@missing=$$(for f in $(filter %.c,$(FORMAT_FILES)); do \
	    grep -q '#include "util/banned.h"' $$f || echo $$f; done); \
	  if [ -n "$$missing" ]; then echo "error: these files do not include util/banned.h:"; \
	    echo "$$missing"; exit 1; fi
	@echo "format-check: ok"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
