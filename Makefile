# Plain GNU make build for msmtp (spooling front end), msmtp-queue and msmtpd.
#
#   make            build the programs into build/
#   make check      install test dependencies, build, check the manuals
#                   (check-man), run every test, then run the whole
#                   suite again under ASan+UBSan
#   make demo       send one mail through a loopback server and show it
#   make deps       apt-get what the build and the tests need (idempotent)
#   make bench      speed and memory against Debian's msmtp, as ratios
#   make bench-tls  TLS alone: flushes through Postfix with TLS, resumed
#                   handshakes, a direct send over STARTTLS vs msmtp
#   make bench-daemon-full  the daemon's reactions at the issue's scale
#                   (1,000 mails at one a second, ten idle minutes)
#   make bench-million  a million queued mails (long; MILLION_SIZES=...)
#   make bench-cpu  the runner's CPU per mail, this build against another
#                   (CPU_BASE=build-base: e.g. main's HEAD built there)
#   make fuzz       libFuzzer on every parser of untrusted input
#   make soak       faults, kills and restarts for SOAK_SECONDS (600), then
#                   the invariant check (not part of make check)
#   make install    programs, engine, man pages, sample, units, hooks;
#                   PREFIX, DESTDIR, SYSCONFDIR honoured
#   make install-mta  also sendmail (sbin, /usr/lib) and mailq links
#
# check, demo, bench and fuzz run deps first and build in a sub-make:
# the pkg-config checks below run when a make parses this file, so on a
# fresh machine they must wait until deps has installed the packages.

# The first rule below is a library's (the layers' rules come before
# all's): name the default goal, or a bare make builds libutil.a alone.
.DEFAULT_GOAL := all

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/msmtp
SYSCONFDIR ?= /etc
LIBEXECDIR ?= $(PREFIX)/lib/msmtp
SYSTEMDUSERUNITDIR ?= $(PREFIX)/lib/systemd/user
# The engine is also looked for at this path from the executable's
# directory, so that an installed tree works wherever it is unpacked
# (a DESTDIR, a relocated PREFIX) and not only at LIBEXECDIR.
LIBEXECDIR_REL := $(shell realpath -m --relative-to=$(BINDIR) $(LIBEXECDIR))
VERSION    := 0.1.0
PLATFORM   := $(shell $(CC) -dumpmachine 2>/dev/null)

CC      ?= cc
BUILD   ?= build
PYTHON  ?= /usr/bin/python3

PKGS := sqlite3 gnutls libgsasl libuv libidn2 libsecret-1 libcurl
# Debian package that provides each pkg-config module, for the error message.
deb_sqlite3 := libsqlite3-dev
deb_gnutls  := libgnutls28-dev
deb_libgsasl := libgsasl-dev
deb_libuv   := libuv1-dev
deb_libidn2 := libidn2-dev
deb_libsecret-1 := libsecret-1-dev
deb_libcurl := libcurl4-gnutls-dev

# Goals that need no library: they either run before deps or call a
# sub-make (which does the checks) after it.
NOPKG_GOALS := deps clean check demo bench fuzz check-deps
ifneq ($(or $(filter-out $(NOPKG_GOALS),$(MAKECMDGOALS)),$(if $(MAKECMDGOALS),,all)),)
  ifeq ($(shell command -v pkg-config 2>/dev/null),)
    $(error pkg-config not found: run 'make deps' or apt-get install pkg-config)
  endif
  $(foreach p,$(PKGS),$(if $(shell pkg-config --exists $(p) && echo y),,\
    $(error $(p) not found by pkg-config: run 'make deps' or apt-get install $(deb_$(p)))))
  PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
  # libsecret's and libcurl's headers only: the keyring loads libsecret
  # when a password is first looked up there (util/keyring.c says why),
  # util/https.c loads libcurl when an OAuth2 token must be fetched.
  PKG_LIBS   := $(shell pkg-config --libs $(filter-out libsecret-1 libcurl,$(PKGS)))
  # The front end links SQLite only; the engine brings the rest (engine.h):
  # TLS, SASL, libuv, and libidn2 for host names (util/idn.h).
  # SQLite goes in statically where libsqlite3.a exists (Debian's -dev
  # ships it): the shared library is linked BIND_NOW and its ~1,600
  # symbol relocations were 40% of the instructions of a whole enqueue.
  SQLITE_A := $(wildcard $(shell pkg-config --variable=libdir sqlite3)/libsqlite3.a)
  # -lresolv (glibc's, small) for --configure's SRV lookup (util/srvrec.h).
  FRONT_LIBS := $(if $(SQLITE_A),$(SQLITE_A) $(filter-out -lsqlite3,\
                  $(shell pkg-config --static --libs-only-l sqlite3)),\
                  $(shell pkg-config --libs sqlite3)) -ldl -lresolv
  ENGINE_LIBS := $(shell pkg-config --libs gnutls libgsasl libuv libidn2)
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
           -DLIBEXECDIR_REL='"$(LIBEXECDIR_REL)"' \
           -DPLATFORM='"$(PLATFORM)"' $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(if $(SANITIZE),$(SAN_LDFLAGS)) $(LDFLAGS)

# One static library per directory of src/, in layer order (README,
# "Layout"); a program names the layers it may use and the linker takes
# from them only the objects it needs. Each main.c stays out of its
# library.
LAYERS := util smtp account mail queue delivery client runner msmtpd
SQL_FILES := $(sort $(wildcard sql/*.sql))
src_of = $(filter-out src/$(1)/main.c,$(wildcard src/$(1)/*.c))
obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
lib = $(BUILD)/lib/lib$(1).a
$(foreach l,$(LAYERS),$(eval $(call lib,$(l)): $(call obj,$(call src_of,$(l)))))
$(call lib,queue): $(BUILD)/gen/migrations.o
$(BUILD)/lib/%.a:
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

libs = -Wl,--start-group $(foreach l,$(1),$(call lib,$(l))) -Wl,--end-group
# What each program may link: msmtp-queue no front end, msmtpd nothing
# of the others (tests/integ/test_layers.py reads the symbols).
FRONT_LAYERS  := client delivery queue mail account smtp util
ENGINE_LAYERS := delivery account smtp util
RUNNER_LAYERS := runner delivery queue mail account smtp util
MSMTPD_LAYERS := msmtpd util
UNIT_LAYERS   := $(LAYERS)

PROGS := $(BUILD)/msmtp $(BUILD)/msmtp-engine.so $(BUILD)/msmtp-queue \
         $(BUILD)/msmtpd

UNIT_SRC   := $(wildcard tests/unit/*_test.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all check check-build check-man test-unit test-integ sanitize-check \
        deps demo install install-mta clean check-deps fuzz fuzz-run bench \
        bench-run bench-tls bench-daemon-full bench-million bench-cpu soak \
        test-make
all: $(PROGS)

# The schema migrations, embedded in order (src/queue/migrations.h).
$(BUILD)/gen/migrations.c: $(SQL_FILES) tests/sql2c.sh Makefile
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

# The front end links SQLite only; the engine, loaded when a mail is
# sent, brings TLS, SASL and libuv (delivery/engine.h).
$(BUILD)/msmtp: $(BUILD)/src/client/main.o $(foreach l,$(FRONT_LAYERS),$(call lib,$(l)))
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(call libs,$(FRONT_LAYERS)) $(FRONT_LIBS)

$(BUILD)/msmtp-engine.so: $(BUILD)/src/delivery/engine_so.o src/delivery/engine.map \
    $(foreach l,$(ENGINE_LAYERS),$(call lib,$(l)))
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -Wl,--version-script=src/delivery/engine.map \
	  -o $@ $< $(call libs,$(ENGINE_LAYERS)) $(ENGINE_LIBS)

$(BUILD)/msmtp-queue: $(BUILD)/src/runner/main.o $(foreach l,$(RUNNER_LAYERS),$(call lib,$(l)))
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(call libs,$(RUNNER_LAYERS)) $(PKG_LIBS) -ldl

$(BUILD)/msmtpd: $(BUILD)/src/msmtpd/main.o $(foreach l,$(MSMTPD_LAYERS),$(call lib,$(l)))
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(call libs,$(MSMTPD_LAYERS)) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(foreach l,$(UNIT_LAYERS),$(call lib,$(l)))
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -Itests/unit -o $@ $< \
	  $(call libs,$(UNIT_LAYERS)) $(PKG_LIBS) -ldl -lresolv

# The SMTP engine alone, driven through session.h (tests/integ/test_engine.py).
$(BUILD)/engine-drive: tests/tools/engine_drive.c $(call lib,smtp) $(call lib,util)
	@mkdir -p $(BUILD)/tests
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -MF $(BUILD)/tests/engine-drive.d -o $@ $< $(call libs,smtp util) $(ENGINE_LIBS)

-include $(shell find $(BUILD)/src $(BUILD)/tests -name '*.d' -type f 2>/dev/null)

# The layering rule (README, "Layout"): each directory of src/ includes
# only the layers below it; tests/test_layers.py plants violations.
check-deps:
	@tests/check-deps.sh

test-unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

# Some tests run our programs as nobody (setpriv): as root, the build must
# be where others can read it, which a tree cloned into /root is not.
test-integ: $(PROGS) $(BUILD)/engine-drive
	@if [ "$$(id -u)" = 0 ] && command -v setpriv >/dev/null && \
	    ! setpriv --reuid="$$(id -u nobody)" --regid="$$(id -g nobody)" \
	      --clear-groups test -r $(abspath $(BUILD))/msmtp-engine.so; then \
	  echo "test-integ: user nobody cannot read $(abspath $(BUILD)), and some" \
	    "tests run programs as nobody: build in a directory others can" \
	    "read (e.g. /usr/local/src, not /root)" >&2; exit 1; fi
	MSMTP_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/integ

check-build:
	$(MAKE) WERROR=1 all $(UNIT_BINS)

# The manuals against the programs: mandoc -Tlint, every option of each
# parser in its page and its --help, every msmtprc command in msmtp(1).
check-man: $(PROGS)
	@$(PYTHON) tests/check-man.py --build $(abspath $(BUILD))

# The whole suite, then the whole suite again under the sanitizers.
check: deps check-deps test-make
	$(MAKE) WERROR=1 check-man
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
# Every layer but the runner, msmtpd included (its names are its own:
# session_*, msd_*, cmd_*; the engine's are smtp_* and sess_*).
FUZZ_SRC := $(filter-out src/delivery/engine_so.c,\
  $(foreach l,util smtp account mail queue delivery client msmtpd,\
    $(call src_of,$(l))))

fuzz: deps
	$(MAKE) fuzz-run

fuzz-run: $(FUZZ_TARGETS:%=build-fuzz/%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus-$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -print_final_stats=0 build-fuzz/corpus-$$t 2>&1 | tail -n 2 || exit 1; \
	done

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC) $(SQL_FILES)
	@mkdir -p build-fuzz
	tests/sql2c.sh build-fuzz/migrations.c $(SQL_FILES)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC) build-fuzz/migrations.c \
	  $(PKG_LIBS) -ldl -lresolv

# Debian packages, then Postfix unpacked into build/postfix-root for the
# real-MTA tests and the benchmarks (never installed as the system MTA).
deps:
	@tests/deps.sh
	@tests/postfix-setup.sh

# Speed and memory side by side with Debian's msmtp, reported as ratios.
bench: deps
	$(MAKE) bench-run

bench-run: all
	$(PYTHON) bench/send_1000.py --ours $(abspath $(BUILD))/msmtp
	$(PYTHON) bench/enqueue.py --build $(abspath $(BUILD))
	$(PYTHON) bench/smtp_source_limit.py
	$(PYTHON) bench/flush.py --build $(abspath $(BUILD))
	$(PYTHON) bench/tls_flush.py --build $(abspath $(BUILD))
	$(PYTHON) bench/daemon_react.py --build $(abspath $(BUILD))

# TLS alone (bench/tls_flush.py, part of bench): flushes through Postfix's
# smtpd with TLS, and a direct send over STARTTLS against Debian's msmtp.
# BASE=dir (another build, e.g. of main's HEAD): its flushes alternate with
# these in the same run, a before/after.
bench-tls: all
	$(PYTHON) bench/tls_flush.py --build $(abspath $(BUILD)) \
	    $(if $(BASE),--base $(abspath $(BASE)))

# The daemon's reactions at the issue's scale: 1,000 new mails at one a
# second, and a whole ten minutes of idle CPU (about 30 minutes).
bench-daemon-full: all
	$(PYTHON) bench/daemon_react.py --build $(abspath $(BUILD)) \
	  --mails 1000 --rate 1 --idle-seconds 600

# A million queued mails (issue 21): spools of 10k, 100k and 1M mails,
# each figure against its target. Long (the 1M spool takes some 2.5 GB
# and a flush of minutes): not part of check or bench. Fewer with
# MILLION_SIZES=10000,100000.
MILLION_SIZES ?= 10000,100000,1000000
bench-million: all
	$(PYTHON) bench/million.py --build $(abspath $(BUILD)) \
	    --sizes $(MILLION_SIZES)

# The runner's CPU per mail (bench/flush_cpu.py), A/B: CPU_BASE (a build
# of the reference, made beforehand, e.g. by a git worktree of main with
# BUILD=build-base) and this build flush copies of one spool in turns.
CPU_BASE ?= build-base
bench-cpu: all
	$(PYTHON) bench/flush_cpu.py --builds \
	    $(abspath $(CPU_BASE)),$(abspath $(BUILD))

# The fault soak (tests/soak/soak.py): writers, a failing server, the
# daemon killed -9 at random; its files stay in $(BUILD)/soak.
SOAK_SECONDS ?= 600
soak: all
	$(PYTHON) tests/soak/soak.py --build $(abspath $(BUILD)) \
	  --seconds $(SOAK_SECONDS)

demo: deps
	$(MAKE) all
	@tests/demo.sh $(abspath $(BUILD))

# The first commands on a fresh machine must not need the libraries
# before deps has installed them (tests/make_fresh.sh).
test-make:
	@tests/make_fresh.sh

# What a distribution's package holds. Units and hooks are whatever
# dist/ has: dist/systemd/user/*.service|*.timer, one directory of hooks
# per network manager (dist/hooks/nm, ifupdown, networkd), and the
# files directly in dist/hooks/ (helpers the hooks share) in LIBEXECDIR;
# README* and *.md files are documentation, not installed.
# @BINDIR@, @LIBEXECDIR@ and @SYSCONFDIR@ in them become the installed
# paths.
HOOKDIR_nm       := $(SYSCONFDIR)/NetworkManager/dispatcher.d
HOOKDIR_ifupdown := $(SYSCONFDIR)/network/if-up.d
HOOKDIR_networkd := $(SYSCONFDIR)/networkd-dispatcher/routable.d
UNITS := $(wildcard dist/systemd/user/*.service dist/systemd/user/*.timer)
HOOKS := $(wildcard dist/hooks/* dist/hooks/nm/* dist/hooks/ifupdown/* \
                    dist/hooks/networkd/*)
SUBST := sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
             -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR)
	install -m 755 $(filter-out %.so,$(PROGS)) $(DESTDIR)$(BINDIR)/
	install -m 644 $(BUILD)/msmtp-engine.so $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 msmtprc.sample $(DESTDIR)$(DOCDIR)/
	@set -e; for f in $(UNITS); do \
	  d=$(DESTDIR)$(SYSTEMDUSERUNITDIR); install -d $$d; \
	  echo "install $$f $$d"; $(SUBST) $$f > $$d/$${f##*/}; \
	  chmod 644 $$d/$${f##*/}; \
	done
	@set -e; for f in $(HOOKS); do \
	  [ -f $$f ] || continue; \
	  case $$f in \
	  *.md|*/README*) continue ;; \
	  dist/hooks/nm/*) d=$(HOOKDIR_nm) ;; \
	  dist/hooks/ifupdown/*) d=$(HOOKDIR_ifupdown) ;; \
	  dist/hooks/networkd/*) d=$(HOOKDIR_networkd) ;; \
	  *) d=$(LIBEXECDIR) ;; \
	  esac; \
	  install -d $(DESTDIR)$$d; echo "install $$f $(DESTDIR)$$d"; \
	  $(SUBST) $$f > $(DESTDIR)$$d/$${f##*/}; \
	  chmod 755 $(DESTDIR)$$d/$${f##*/}; \
	done

# The links of a distribution's MTA package (Postfix's, msmtp-mta's):
# sendmail in sbin and in /usr/lib, and mailq, which msmtp reads as
# "list the queue" (src/client/cmdline.c). Relative, so that they also
# work inside DESTDIR.
relpath = $(shell realpath -m --relative-to=$(dir $(2)) $(1))
install-mta: install
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)/usr/lib
	ln -sfn $(call relpath,$(BINDIR)/msmtp,$(SBINDIR)/sendmail) $(DESTDIR)$(SBINDIR)/sendmail
	ln -sfn $(call relpath,$(SBINDIR)/sendmail,/usr/lib/sendmail) $(DESTDIR)/usr/lib/sendmail
	ln -sfn msmtp $(DESTDIR)$(BINDIR)/mailq

clean:
	rm -rf build build-asan build-fuzz
