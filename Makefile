# Plain GNU make build for msmtp (spooling front end), msmtp-queue and msmtpd.
#
#   make            build the programs into build/
#   make check      install test dependencies, build, run every test, then
#                   run the whole suite again under ASan+UBSan
#   make demo       send one mail through a loopback server and show it
#   make deps       apt-get what the build and the tests need (idempotent)
#   make bench      speed and memory against Debian's msmtp, as ratios
#   make fuzz       libFuzzer on every parser of untrusted input
#   make soak       faults, kills and restarts for SOAK_SECONDS (600), then
#                   the invariant check (not part of make check)
#   make install    PREFIX, DESTDIR, SYSCONFDIR honoured

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
LIBEXECDIR ?= $(PREFIX)/lib/msmtp
VERSION    := 0.1.0
PLATFORM   := $(shell $(CC) -dumpmachine 2>/dev/null)

CC      ?= cc
BUILD   ?= build
PYTHON  ?= /usr/bin/python3

PKGS := sqlite3 gnutls libgsasl libuv
# Debian package that provides each pkg-config module, for the error message.
deb_sqlite3 := libsqlite3-dev
deb_gnutls  := libgnutls28-dev
deb_libgsasl := libgsasl-dev
deb_libuv   := libuv1-dev

ifeq ($(filter deps clean help,$(MAKECMDGOALS)),)
  ifeq ($(shell command -v pkg-config 2>/dev/null),)
    $(error pkg-config not found: run 'make deps' or apt-get install pkg-config)
  endif
  $(foreach p,$(PKGS),$(if $(shell pkg-config --exists $(p) && echo y),,\
    $(error $(p) not found by pkg-config: run 'make deps' or apt-get install $(deb_$(p)))))
  PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
  PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
  # The front end links SQLite only; the engine brings the rest (engine.h).
  # SQLite goes in statically where libsqlite3.a exists (Debian's -dev
  # ships it): the shared library is linked BIND_NOW and its ~1,600
  # symbol relocations were 40% of the instructions of a whole enqueue.
  SQLITE_A := $(wildcard $(shell pkg-config --variable=libdir sqlite3)/libsqlite3.a)
  FRONT_LIBS := $(if $(SQLITE_A),$(SQLITE_A) $(filter-out -lsqlite3,\
                  $(shell pkg-config --static --libs-only-l sqlite3)),\
                  $(shell pkg-config --libs sqlite3)) -ldl
  ENGINE_LIBS := $(shell pkg-config --libs gnutls libgsasl libuv)
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
SAN_CFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
SAN_LDFLAGS := -fsanitize=address,undefined
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(if $(WERROR),-Werror) \
           $(if $(SANITIZE),$(SAN_CFLAGS)) \
           -Isrc -DVERSION='"$(VERSION)"' -DSYSCONFDIR='"$(SYSCONFDIR)"' \
           -DBINDIR='"$(BINDIR)"' -DLIBEXECDIR='"$(LIBEXECDIR)"' -fPIC \
           -DPLATFORM='"$(PLATFORM)"' $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(if $(SANITIZE),$(SAN_LDFLAGS)) $(LDFLAGS)

UTIL_SRC   := $(wildcard src/util/*.c)
SMTP_SRC   := $(wildcard src/smtp/*.c)
CLIENT_SRC := $(filter-out src/client/main.c src/client/engine_so.c,$(wildcard src/client/*.c))
# What the shared engine holds besides src/smtp: the delivery driver.
ENGINE_CLIENT_SRC := src/client/deliver.c src/client/password.c
QUEUE_SRC  := $(wildcard src/queue/*.c)
SQL_FILES  := $(sort $(wildcard sql/*.sql))
RUNNER_SRC := $(filter-out src/runner/main.c,$(wildcard src/runner/*.c))
MSMTPD_SRC := $(filter-out src/msmtpd/main.c,$(wildcard src/msmtpd/*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

UTIL_OBJ   := $(call obj,$(UTIL_SRC))
SMTP_OBJ   := $(call obj,$(SMTP_SRC))
CLIENT_OBJ := $(call obj,$(CLIENT_SRC))
QUEUE_OBJ  := $(call obj,$(QUEUE_SRC)) $(BUILD)/gen/migrations.o
RUNNER_OBJ := $(call obj,$(RUNNER_SRC))
MSMTPD_OBJ := $(call obj,$(MSMTPD_SRC))
LIB_OBJ    := $(CLIENT_OBJ) $(QUEUE_OBJ) $(SMTP_OBJ) $(UTIL_OBJ)
ENGINE_OBJ := $(SMTP_OBJ) $(call obj,$(ENGINE_CLIENT_SRC)) $(UTIL_OBJ)
# The front end also names outcome classes, runs passwordeval and asks
# the clear text rule (pure code, no engine libraries).
FRONT_OBJ  := $(filter-out $(ENGINE_OBJ),$(CLIENT_OBJ)) $(QUEUE_OBJ) \
              $(BUILD)/src/smtp/outcome.o $(BUILD)/src/client/password.o \
              $(BUILD)/src/smtp/cleartext.o $(UTIL_OBJ)

PROGS := $(BUILD)/msmtp $(BUILD)/msmtp-engine.so $(BUILD)/msmtp-queue \
         $(BUILD)/msmtpd

UNIT_SRC   := $(wildcard tests/unit/*_test.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all check check-build test-unit test-integ sanitize-check deps demo \
        install clean check-deps fuzz bench soak help
all: $(PROGS)

# The schema migrations, embedded in order (src/queue/migrations.h).
$(BUILD)/gen/migrations.c: $(SQL_FILES) tests/sql2c.sh
	@mkdir -p $(dir $@)
	tests/sql2c.sh $@ $(SQL_FILES)

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Quiet unless V=1: one line per file, so warnings stand out.
Q = $(if $(V),,@)
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/msmtp: $(BUILD)/src/client/main.o $(FRONT_OBJ)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FRONT_LIBS)

$(BUILD)/msmtp-engine.so: $(BUILD)/src/client/engine_so.o $(ENGINE_OBJ) src/client/engine.map
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -Wl,--version-script=src/client/engine.map \
	  -o $@ $(filter %.o,$^) $(ENGINE_LIBS)

$(BUILD)/msmtp-queue: $(BUILD)/src/runner/main.o $(RUNNER_OBJ) $(LIB_OBJ) \
    $(BUILD)/src/client/engine_so.o
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl

$(BUILD)/msmtpd: $(BUILD)/src/msmtpd/main.o $(MSMTPD_OBJ) $(UTIL_OBJ)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -Itests/unit -o $@ $< $(LIB_OBJ) $(PKG_LIBS)

# The SMTP engine alone, driven through session.h (tests/integ/test_engine.py).
$(BUILD)/engine-drive: tests/tools/engine_drive.c $(SMTP_OBJ) $(UTIL_OBJ)
	@mkdir -p $(BUILD)/tests
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -MF $(BUILD)/tests/engine-drive.d -o $@ $< $(SMTP_OBJ) $(UTIL_OBJ) $(ENGINE_LIBS)

-include $(shell find $(BUILD)/src $(BUILD)/tests -name '*.d' -type f 2>/dev/null)

# The layering rule: generic code knows nothing of mail, and the front end,
# the spool and the runner never reach into each other's private headers.
check-deps:
	@! grep -n '#include "\(smtp\|client\|queue\|runner\|msmtpd\)/' src/util/*.[ch] || \
	  { echo 'src/util must not include mail-specific headers'; exit 1; }
	@! grep -n '#include "\(client\|queue\|runner\|msmtpd\)/' src/smtp/*.[ch] || \
	  { echo 'src/smtp must not include front end, queue or runner headers'; exit 1; }
	@! grep -n '#include "\(runner\|msmtpd\)/' src/client/*.[ch] src/queue/*.[ch] 2>/dev/null || \
	  { echo 'client and queue must not include runner or msmtpd headers'; exit 1; }

test-unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

test-integ: $(PROGS) $(BUILD)/engine-drive
	MSMTP_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/integ

check-build:
	$(MAKE) WERROR=1 all $(UNIT_BINS)

# The whole suite, then the whole suite again under the sanitizers.
check: deps check-deps
	$(MAKE) WERROR=1 test-unit test-integ
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) BUILD=build-asan SANITIZE=1 WERROR=1 test-unit test-integ

# libFuzzer targets for the parsers of untrusted input, each run for a
# bounded time (FUZZ_SECONDS) from an empty corpus in build-fuzz/.
FUZZ_SECONDS ?= 20
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -DVERSION='"$(VERSION)"' \
	-DSYSCONFDIR='"$(SYSCONFDIR)"' -DBINDIR='"$(BINDIR)"' \
	-DLIBEXECDIR='"$(LIBEXECDIR)"' -DPLATFORM='"$(PLATFORM)"' $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined
FUZZ_SRC := $(UTIL_SRC) $(SMTP_SRC) $(filter-out src/client/engine_so.c,$(CLIENT_SRC)) $(QUEUE_SRC)

fuzz: deps $(FUZZ_TARGETS:%=build-fuzz/%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus-$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -print_final_stats=0 build-fuzz/corpus-$$t 2>&1 | tail -n 2 || exit 1; \
	done

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC) $(MSMTPD_SRC) $(SQL_FILES)
	@mkdir -p build-fuzz
	tests/sql2c.sh build-fuzz/migrations.c $(SQL_FILES)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC) build-fuzz/migrations.c \
	  $(PKG_LIBS) -ldl

# Debian packages, then Postfix unpacked into build/postfix-root for the
# real-MTA tests and the benchmarks (never installed as the system MTA).
deps:
	@tests/deps.sh
	@tests/postfix-setup.sh

# Speed and memory side by side with Debian's msmtp, reported as ratios.
bench: deps all
	$(PYTHON) bench/send_1000.py --ours $(abspath $(BUILD))/msmtp
	$(PYTHON) bench/enqueue.py --build $(abspath $(BUILD))
	$(PYTHON) bench/smtp_source_limit.py
	$(PYTHON) bench/flush.py --build $(abspath $(BUILD))

# The fault soak (tests/soak/soak.py): writers, a failing server, the
# daemon killed -9 at random; its files stay in $(BUILD)/soak.
SOAK_SECONDS ?= 600
soak: all
	$(PYTHON) tests/soak/soak.py --build $(abspath $(BUILD)) \
	  --seconds $(SOAK_SECONDS)

demo: deps all
	@tests/demo.sh $(abspath $(BUILD))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(filter-out %.so,$(PROGS)) $(DESTDIR)$(BINDIR)/
	install -m 644 $(BUILD)/msmtp-engine.so $(DESTDIR)$(LIBEXECDIR)/
	for m in man/*.1; do [ -f "$$m" ] && install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done; true

clean:
	rm -rf build build-asan build-fuzz
