# asanigw — plain Makefile.
#
#   make                      build build/asanigw
#   make test                 unit tests (Check) + integration tests (real Redis)
#   make demo                 private Redis + gateway + demo menus + phone,
#                             and the phone simulator's link
#   make demo-kannel          the same through real Kannel (USSD and SMS)
#   make menu-pictures        build/menus/*.svg: each shipped menu drawn
#   make bench                benchmark against a reference server
#   make SANITIZE=address,undefined test   the same under ASan+UBSan
#   make WERROR=1             warnings are errors (CI)

# The one place the version is written; the build appends the git
# description when the tree is a checkout.
VERSION	 = 0.9.0

CC	?= cc
PYTHON	?= /usr/bin/python3
PKGS	 = libevent libevent_openssl hiredis libconfig jansson openssl

ifdef SANITIZE
BUILD	?= build-san
SANFLAGS = -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
else
BUILD	?= build
endif

WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Wno-format-nonliteral
ifdef WERROR
WARN	+= -Werror
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) \
	     $(SANFLAGS) -Igateway -Iadapters -Itests/lib -I$(BUILD) \
	     $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS	 = $(PKG_LIBS) -lm

# Everything but main.c, so unit tests link against the same objects.
LIB_SRCS = gateway/xmalloc.c \
	gateway/util.c \
	gateway/sdnotify.c \
	gateway/msisdn.c \
	gateway/errlist.c \
	gateway/log.c \
	gateway/gsm.c \
	gateway/session.c \
	gateway/menu.c \
	gateway/menu_compile.c \
	gateway/menu_screens.c \
	gateway/menu_commands.c \
	gateway/menu_check.c \
	gateway/menu_diff.c \
	gateway/menu_dot.c \
	gateway/step.c \
	gateway/command.c \
	gateway/sms.c \
	gateway/notify.c \
	gateway/conf.c \
	gateway/refcode.c \
	gateway/store.c \
	gateway/store_keys.c \
	gateway/store_scripts.c \
	gateway/store_subscriber.c \
	gateway/store_outbox.c \
	gateway/store_ledger.c \
	gateway/ledger_verify.c \
	gateway/ledger.c \
	gateway/store_sentinel.c \
	gateway/cache.c \
	gateway/dial.c \
	gateway/engine.c \
	gateway/outbox.c \
	gateway/httpd.c \
	gateway/ingress_aggregator.c \
	gateway/ingress_kannel.c \
	gateway/kannel_text.c \
	gateway/access.c \
	gateway/form.c \
	gateway/sendsms.c \
	gateway/admin.c \
	gateway/simulator.c \
	gateway/metrics.c \
	gateway/metrics_gateway.c \
	gateway/metrics_http.c \
	gateway/funnel.c \
	adapters/adapter.c \
	adapters/adapter_file.c \
	adapters/adapter_http.c \
	adapters/adapter_redis_stream.c

UNIT_TESTS = util gsm session menu step conf refcode cache kannel_text access \
	     adapter command store_keys msisdn form ingress_aggregator admin \
	     metrics menu_diff dial simulator ledger
FUZZ_TARGETS = session text step kannel command answer query dlr notify \
	       conf menu form dial simulator ledger request

LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/simulator_assets.o

# The simulator's page, compiled into the binary (scripts/embed).
SIM_ASSETS = gateway/simulator/index.html gateway/simulator/simulator.css \
	     gateway/simulator/simulator.js
ALL_OBJS = $(LIB_OBJS) $(BUILD)/gateway/main.o $(BUILD)/gateway/verify.o \
	   $(UNIT_TESTS:%=$(BUILD)/tests/unit/test_%.o) \
	   $(BUILD)/tests/bench/refserver.o $(BUILD)/tests/bench/metrics_cost.o \
	   $(BUILD)/tests/fuzz/driver.o \
	   $(BUILD)/tests/kannel/fakesmpp.o \
	   $(BUILD)/tests/backoffice/backoffice.o $(BUILD)/tests/lib/emit.o \
	   $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%.o)

.PHONY: all deps test unit integration demo demo-kannel demo-ha bench fuzz fuzz-all \
	menu-pictures \
	clean install uninstall deb FORCE
.DEFAULT_GOAL := all
.SECONDARY:

all: $(BUILD)/asanigw $(BUILD)/asanigw-verify

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/simulator_assets.c: scripts/embed $(SIM_ASSETS)
	@mkdir -p $(@D)
	scripts/embed $@ $(SIM_ASSETS)

$(BUILD)/simulator_assets.o: $(BUILD)/simulator_assets.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libasanigw.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

# version.h is written again only when what it says changes.
GITDESC := $(shell git describe --always --dirty 2>/dev/null)
VERSION_STRING = $(VERSION)$(if $(GITDESC), ($(GITDESC)))
$(BUILD)/version.h: FORCE
	@mkdir -p $(@D)
	@printf '#define ASANIGW_VERSION "%s"\n' '$(VERSION_STRING)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

$(BUILD)/gateway/main.o $(BUILD)/gateway/metrics_gateway.o: $(BUILD)/version.h

$(BUILD)/asanigw: $(BUILD)/gateway/main.o $(BUILD)/libasanigw.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The ledger's verifier, for anyone to run (gateway/verify.c).
$(BUILD)/asanigw-verify: $(BUILD)/gateway/verify.o $(BUILD)/libasanigw.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/libasanigw.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $$(pkg-config --libs check) $(LIBS)

$(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/driver.o \
    $(BUILD)/libasanigw.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/refserver: $(BUILD)/tests/bench/refserver.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# What counting metrics costs a hop (tests/bench/metrics_cost.c).
$(BUILD)/metrics_cost: $(BUILD)/tests/bench/metrics_cost.o \
    $(BUILD)/libasanigw.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The fake operator SMSC (SMPP) that Kannel's bearerbox binds to.
$(BUILD)/fakesmpp: $(BUILD)/tests/kannel/fakesmpp.o $(BUILD)/tests/lib/emit.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The test back office: verifies signatures, books once, fails on demand.
$(BUILD)/backoffice: $(BUILD)/tests/backoffice/backoffice.o \
    $(BUILD)/tests/lib/emit.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The user-facing targets install what is missing first, then run make
# again so pkg-config sees the freshly installed libraries.
deps:
	@scripts/deps

unit: $(UNIT_TESTS:%=$(BUILD)/tests/unit/test_%) \
    $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%)
	@set -e; for t in $(UNIT_TESTS); do \
		CK_FORK=yes $(BUILD)/tests/unit/test_$$t; \
	done; \
	for t in $(FUZZ_TARGETS); do \
		$(BUILD)/fuzz_$$t tests/fuzz/corpus/$$t; \
	done

# Coverage-guided fuzzing with clang's libFuzzer under ASan+UBSan, e.g.
#   make fuzz FUZZ=step FUZZ_SECONDS=120
#   make fuzz-all SECONDS=60          every target in turn, N seconds each
# The library is built once in build-fuzz/.  New inputs land in
# build-fuzz/corpus-NAME, out of the tree; copy the interesting ones to
# tests/fuzz/corpus/NAME so "make test" replays them.
FUZZ ?= step
FUZZ_SECONDS ?= 60
SECONDS ?= 60
FUZZ_MAKE = $(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
	    SANITIZE=fuzzer-no-link,address,undefined CFLAGS="-g -O1"
FUZZ_RUN = LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
	   build-fuzz/libfuzzer_$$t -print_final_stats=1 \
	   build-fuzz/corpus-$$t tests/fuzz/corpus/$$t

$(BUILD)/libfuzzer_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/libasanigw.a
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzz: deps
	@$(FUZZ_MAKE) build-fuzz/libfuzzer_$(FUZZ)
	@t=$(FUZZ); mkdir -p build-fuzz/corpus-$$t && \
	    $(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS)

fuzz-all: deps
	@$(FUZZ_MAKE) $(FUZZ_TARGETS:%=build-fuzz/libfuzzer_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz-all: $$t for $(SECONDS) s"; \
		mkdir -p build-fuzz/corpus-$$t; \
		$(FUZZ_RUN) -max_total_time=$(SECONDS); \
	done

# Tests leave what a person should look at (the simulator's screenshots)
# in ASANIGW_ARTIFACTS.
ASANIGW_ARTIFACTS ?= $(BUILD)/artifacts
integration: $(BUILD)/asanigw $(BUILD)/asanigw-verify $(BUILD)/fakesmpp \
    $(BUILD)/backoffice
	ASANIGW=$(BUILD)/asanigw FAKESMPP=$(BUILD)/fakesmpp \
	    BACKOFFICE=$(BUILD)/backoffice VERIFY=$(BUILD)/asanigw-verify \
	    ASANIGW_ARTIFACTS=$(ASANIGW_ARTIFACTS) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

test: deps
	@$(MAKE) --no-print-directory unit integration

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/asanigw
	@scripts/demo $(BUILD)/asanigw

# The same through real Kannel: fakesmpp, bearerbox, smsbox, fakesmsc.
demo-kannel: deps
	@$(MAKE) --no-print-directory $(BUILD)/asanigw $(BUILD)/fakesmpp
	@$(PYTHON) scripts/demo-kannel $(BUILD)/asanigw $(BUILD)/fakesmpp

# A session surviving the Redis master's death: Sentinel, two gateways,
# haproxy.
demo-ha: deps
	@$(MAKE) --no-print-directory $(BUILD)/asanigw
	@$(PYTHON) scripts/demo-ha $(BUILD)/asanigw

# Each shipped menu as a picture (asanigw -G), drawn by Graphviz.
menu-pictures: deps
	@$(MAKE) --no-print-directory $(BUILD)/asanigw
	@mkdir -p $(BUILD)/menus
	@for m in menus/*.menu; do \
		out=$(BUILD)/menus/$$(basename $$m .menu); \
		$(BUILD)/asanigw -G $$m > $$out.dot && \
		dot -Tsvg -o $$out.svg $$out.dot && echo $$out.svg || exit 1; \
	done

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/asanigw $(BUILD)/refserver \
	    $(BUILD)/fakesmpp $(BUILD)/backoffice $(BUILD)/asanigw-verify
	@scripts/bench $(BUILD)/asanigw $(BUILD)/refserver
	@scripts/bench-outbox $(BUILD)/asanigw $(BUILD)/backoffice
	@scripts/bench-ledger $(BUILD)/asanigw $(BUILD)/asanigw-verify
	@scripts/bench-kannel $(BUILD)/asanigw $(BUILD)/refserver \
	    $(BUILD)/fakesmpp

# Installing, as GNU's directory variables: make install PREFIX=/usr
# DESTDIR=/tmp/stage.  An existing configuration is never overwritten.
PREFIX		?= /usr/local
sbindir		?= $(PREFIX)/sbin
bindir		?= $(PREFIX)/bin
datadir		?= $(PREFIX)/share
mandir		?= $(datadir)/man
docdir		?= $(datadir)/doc/asanigw
unitdir		?= $(PREFIX)/lib/systemd/system
ifeq ($(PREFIX),/usr)
sysconfdir	?= /etc
localstatedir	?= /var
else
sysconfdir	?= $(PREFIX)/etc
localstatedir	?= $(PREFIX)/var
endif
MENUDIR		 = $(datadir)/asanigw/menus
STATEDIR	 = $(localstatedir)/lib/asanigw
MANPAGES	 = man/asanigw.8 man/asanigw.conf.5 man/asanigw.menu.5 \
		   man/asanigw-verify.1
EXAMPLES	 = conf/kannel.conf $(wildcard conf/haproxy.cfg) \
		   $(wildcard contrib/nginx/asanigw.conf)

# The shipped configuration with the installed places of the menus and
# of the file adapter's requests, written for each install (the
# directories are the install's).
$(BUILD)/asanigw.conf: conf/asanigw.conf FORCE
	@mkdir -p $(@D)
	sed -e 's|"\.\./menus/|"$(MENUDIR)/|' \
	    -e 's|"\.\./var/requests.jsonl"|"$(STATEDIR)/requests.jsonl"|' \
	    conf/asanigw.conf > $@

$(BUILD)/asanigw.service: contrib/systemd/asanigw.service.in FORCE
	@mkdir -p $(@D)
	sed -e 's|@SBINDIR@|$(sbindir)|g' -e 's|@SYSCONFDIR@|$(sysconfdir)|g' \
	    contrib/systemd/asanigw.service.in > $@

install: $(BUILD)/asanigw $(BUILD)/asanigw-verify $(BUILD)/asanigw.conf \
    $(BUILD)/asanigw.service
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(bindir) \
	    $(DESTDIR)$(sysconfdir)/asanigw \
	    $(DESTDIR)$(MENUDIR) $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man5 \
	    $(DESTDIR)$(mandir)/man8 $(DESTDIR)$(unitdir) \
	    $(DESTDIR)$(docdir)/examples
	install -m 0755 $(BUILD)/asanigw $(DESTDIR)$(sbindir)/asanigw
	install -m 0755 $(BUILD)/asanigw-verify $(DESTDIR)$(bindir)/asanigw-verify
	[ -e $(DESTDIR)$(sysconfdir)/asanigw/asanigw.conf ] || \
	    install -m 0640 $(BUILD)/asanigw.conf \
	    $(DESTDIR)$(sysconfdir)/asanigw/asanigw.conf
	install -m 0644 menus/*.menu menus/README.md $(DESTDIR)$(MENUDIR)
	install -m 0644 man/asanigw.8 $(DESTDIR)$(mandir)/man8
	install -m 0644 man/asanigw-verify.1 $(DESTDIR)$(mandir)/man1
	install -m 0644 man/asanigw.conf.5 man/asanigw.menu.5 \
	    $(DESTDIR)$(mandir)/man5
	install -m 0644 $(BUILD)/asanigw.service $(DESTDIR)$(unitdir)
	install -m 0644 README.md CHANGELOG.md $(DESTDIR)$(docdir)
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(docdir)/examples

# The Debian package, built from a copy of the tracked files so the tree
# stays clean; lintian's verdict follows.
DEBDIR = $(BUILD)/deb
deb: deps
	rm -rf $(DEBDIR)
	mkdir -p $(DEBDIR)/asanigw-$(VERSION)
	git ls-files -z | xargs -0 tar -cf - | \
	    tar -xf - -C $(DEBDIR)/asanigw-$(VERSION)
	cd $(DEBDIR)/asanigw-$(VERSION) && dpkg-buildpackage -b -us -uc
	lintian --fail-on error,warning $(DEBDIR)/asanigw_$(VERSION)_*.deb

# Leaves the configuration, which is the operator's.
uninstall:
	rm -f $(DESTDIR)$(sbindir)/asanigw $(DESTDIR)$(unitdir)/asanigw.service \
	    $(DESTDIR)$(bindir)/asanigw-verify \
	    $(DESTDIR)$(mandir)/man1/asanigw-verify.1 \
	    $(DESTDIR)$(mandir)/man8/asanigw.8 \
	    $(DESTDIR)$(mandir)/man5/asanigw.conf.5 \
	    $(DESTDIR)$(mandir)/man5/asanigw.menu.5
	rm -rf $(DESTDIR)$(MENUDIR) $(DESTDIR)$(docdir)
	-rmdir $(DESTDIR)$(datadir)/asanigw 2>/dev/null

clean:
	rm -rf build build-san build-fuzz build-clang

-include $(ALL_OBJS:.o=.d)
