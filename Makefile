# dunwell build.
#
#   make               release build: build/release/dunwell
#   make asan          the sanitizer build the tests use: build/asan/dunwell
#   make check         asan build + every test (tests/run)
#   make demo          release build + the demo (scripts/demo)
#
# One variant per build directory; VARIANT=release|asan selects it.

VARIANT ?= release
O := build/$(VARIANT)
CC ?= gcc

# Libraries, by what they are for: stores; strategy files; locale formatting;
# letters (PDF) and QR images; QR codes; spoken messages; tokens and HMAC;
# HTTP server; JSON; HTTP client and SMTP; bank statements; QR images (PNG).
PKGS := sqlite3 libfyaml libpq icu-uc icu-i18n cairo pangocairo libqrencode \
	espeak-ng libsodium libevent libevent_pthreads jansson libcurl libxml-2.0 \
	zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
	-Wno-format-nonliteral -Wvla -Wimplicit-fallthrough -Wundef
ifeq ($(VARIANT),asan)
OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
LDOPT := -fsanitize=address,undefined
else
OPT := -O2 -g
LDOPT :=
endif
CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(OPT) -Isrc -I$(O)/gen $(PKG_CFLAGS)
LIBS := $(PKG_LIBS) -lm -lpthread

SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=$(O)/%.o) $(O)/embedded.o
LIBOBJS := $(filter-out $(O)/main.o,$(OBJS))
EMBED_FILES := $(sort $(wildcard migrations/sqlite/*.sql migrations/pg/*.sql data/holidays/*.txt examples/strategies/*.yaml templates/*.tmpl templates/*/*.tmpl templates/portal/*.txt assets/*.css docs/openapi.json))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
TOOL_SRCS := $(wildcard bench/*.c)
TOOL_BINS := $(TOOL_SRCS:bench/%.c=$(O)/bench/%)

.PHONY: all asan release check demo unit clean bench-tools
all: $(O)/dunwell $(O)/libdunwell.a

release:
	$(MAKE) VARIANT=release all
asan:
	$(MAKE) VARIANT=asan all unit

unit: $(UNIT_BINS)
bench-tools: $(TOOL_BINS)

check:
	$(MAKE) VARIANT=asan all unit
	$(MAKE) VARIANT=release all bench-tools
	tests/run

demo:
	$(MAKE) VARIANT=release all
	scripts/demo

$(O)/dunwell: $(O)/main.o $(O)/libdunwell.a
	$(CC) $(LDOPT) -o $@ $^ $(LIBS)

$(O)/libdunwell.a: $(LIBOBJS)
	rm -f $@
	ar rcs $@ $^

$(O)/%.o: src/%.c | $(O)/gen/embedded.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(O)/gen/embedded.c: tools/embed.sh $(EMBED_FILES)
	@mkdir -p $(@D)
	tools/embed.sh $(EMBED_FILES) > $@.tmp && mv $@.tmp $@

$(O)/embedded.o: $(O)/gen/embedded.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(O)/tests/%: tests/unit/%.c tests/unit/check.h $(O)/libdunwell.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(O)/libdunwell.a $(LDOPT) $(LIBS)

$(O)/bench/%: bench/%.c $(O)/libdunwell.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(O)/libdunwell.a $(LDOPT) $(LIBS)

clean:
	rm -rf build

-include $(wildcard $(O)/*.d)
