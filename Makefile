# asanigw — plain Makefile.
#
#   make                      build build/asanigw
#   make test                 unit tests (Check) + integration tests (real Redis)
#   make demo                 private Redis + gateway + demo menus + phone
#   make demo-kannel          the same through real Kannel (USSD and SMS)
#   make bench                benchmark against a reference server
#   make SANITIZE=address,undefined test   the same under ASan+UBSan
#   make WERROR=1             warnings are errors (CI)

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
	     $(SANFLAGS) -Igateway -Iadapters -Itests/lib $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS	 = $(PKG_LIBS) -lm

# Everything but main.c, so unit tests link against the same objects.
LIB_SRCS = gateway/xmalloc.c \
	gateway/util.c \
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
	gateway/cache.c \
	gateway/engine.c \
	gateway/outbox.c \
	gateway/httpd.c \
	gateway/ingress_aggregator.c \
	gateway/ingress_kannel.c \
	gateway/kannel_text.c \
	gateway/access.c \
	gateway/sendsms.c \
	gateway/admin.c \
	gateway/metrics.c \
	gateway/metrics_gateway.c \
	gateway/metrics_http.c \
	gateway/funnel.c \
	adapters/adapter.c \
	adapters/adapter_file.c \
	adapters/adapter_http.c \
	adapters/adapter_redis_stream.c

UNIT_TESTS = util gsm session menu step conf refcode cache kannel_text access \
	     adapter command store_keys msisdn metrics
FUZZ_TARGETS = session text step kannel command answer

LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/%.o)
ALL_OBJS = $(LIB_OBJS) $(BUILD)/gateway/main.o \
	   $(UNIT_TESTS:%=$(BUILD)/tests/unit/test_%.o) \
	   $(BUILD)/tests/bench/refserver.o $(BUILD)/tests/bench/metrics_cost.o \
	   $(BUILD)/tests/fuzz/driver.o \
	   $(BUILD)/tests/kannel/fakesmpp.o \
	   $(BUILD)/tests/backoffice/backoffice.o $(BUILD)/tests/lib/emit.o \
	   $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%.o)

.PHONY: all deps test unit integration demo demo-kannel bench fuzz clean
.DEFAULT_GOAL := all
.SECONDARY:

all: $(BUILD)/asanigw

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libasanigw.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/asanigw: $(BUILD)/gateway/main.o $(BUILD)/libasanigw.a
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

# Coverage-guided fuzzing with clang's libFuzzer, e.g.
#   make fuzz FUZZ=step FUZZ_SECONDS=120
# New inputs land in build-fuzz/corpus-$(FUZZ); copy the interesting ones
# to tests/fuzz/corpus/$(FUZZ) so "make test" replays them.
FUZZ ?= step
FUZZ_SECONDS ?= 60
fuzz: deps
	@mkdir -p build-fuzz/corpus-$(FUZZ)
	clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 \
	    -fsanitize=fuzzer,address,undefined -Igateway -Iadapters \
	    $(PKG_CFLAGS) -o build-fuzz/fuzz_$(FUZZ) \
	    tests/fuzz/fuzz_$(FUZZ).c $(LIB_SRCS) $(LIBS)
	build-fuzz/fuzz_$(FUZZ) -max_total_time=$(FUZZ_SECONDS) \
	    build-fuzz/corpus-$(FUZZ) tests/fuzz/corpus/$(FUZZ)

integration: $(BUILD)/asanigw $(BUILD)/fakesmpp $(BUILD)/backoffice
	ASANIGW=$(BUILD)/asanigw FAKESMPP=$(BUILD)/fakesmpp \
	    BACKOFFICE=$(BUILD)/backoffice $(PYTHON) -m pytest -q -p no:cacheprovider \
		tests/integration

test: deps
	@$(MAKE) --no-print-directory unit integration

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/asanigw
	@scripts/demo $(BUILD)/asanigw

# The same through real Kannel: fakesmpp, bearerbox, smsbox, fakesmsc.
demo-kannel: deps
	@$(MAKE) --no-print-directory $(BUILD)/asanigw $(BUILD)/fakesmpp
	@$(PYTHON) scripts/demo-kannel $(BUILD)/asanigw $(BUILD)/fakesmpp

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/asanigw $(BUILD)/refserver \
	    $(BUILD)/fakesmpp $(BUILD)/backoffice
	@scripts/bench $(BUILD)/asanigw $(BUILD)/refserver
	@scripts/bench-outbox $(BUILD)/asanigw $(BUILD)/backoffice
	@scripts/bench-kannel $(BUILD)/asanigw $(BUILD)/refserver \
	    $(BUILD)/fakesmpp

clean:
	rm -rf build build-san build-fuzz build-clang

-include $(ALL_OBJS:.o=.d)
