# ngx_http_smotp_module
#
#   make            the module, against the distribution's nginx (nginx-dev)
#   make NGINX_SRC=/path/to/nginx-x.y.z    against an upstream tree
#   make demo       nginx with the module in front of the local API stand-in
#   make test       the whole test suite (t/*.t)
#   make coverage   the suite against the module built with gcov: line and
#                   branch figures, the lines never run (build/coverage)

NGINX_SRC   ?= /usr/share/nginx/src
BUILD       ?= build
NGINX_BUILD := $(BUILD)/nginx
MODULE      := $(BUILD)/ngx_http_smotp_module.so
CC_OPT      ?= -g -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC \
               -Wall -Wextra -Werror

SOURCES := config ngx_http_smotp_module.c $(wildcard src/*.c src/*.h)

DESTDIR     ?=
MODULES_DIR ?= /usr/lib/nginx/modules
SHARE_DIR   ?= /usr/share/nginx/smotp

.PHONY: all deps demo test test-reload install clean bench coverage

all: $(MODULE)

deps:
	@scripts/deps.sh

$(NGINX_BUILD)/objs/Makefile: config scripts/configure-nginx.sh
	scripts/configure-nginx.sh $(NGINX_SRC) $(NGINX_BUILD) "$(CC_OPT)"

$(MODULE): $(NGINX_BUILD)/objs/Makefile $(SOURCES)
	$(MAKE) -C $(NGINX_BUILD) -f objs/Makefile modules
	cp $(NGINX_BUILD)/objs/ngx_http_smotp_module.so $@

demo: deps all
	scripts/demo.sh

test: deps all
	scripts/test.sh

# its own build of the module in build/coverage, the one above left alone
coverage: deps
	scripts/coverage.sh

test-reload: deps all
	scripts/reload-check.py

install: $(MODULE)
	install -d $(DESTDIR)$(MODULES_DIR) $(DESTDIR)$(SHARE_DIR)
	install -m 644 $(MODULE) $(DESTDIR)$(MODULES_DIR)/
	install -m 644 conf/api.conf conf/api_location.conf \
	    conf/api_location_resolver.conf $(DESTDIR)$(SHARE_DIR)/

clean:
	rm -rf $(BUILD) t/servroot

# the benchmark of issue 4 (BENCHMARKS.md): installs wrk, the Lua module,
# valgrind and perf from Debian, takes about 8 minutes
bench: deps all
	bench/run.sh

# the proof of issue 3: the suite under AddressSanitizer and UBSan, the
# suite under valgrind, the fuzz target (fuzz/README.md); each builds nginx
# from its own sources (scripts/nginx-source.sh) into build/
.PHONY: test-asan test-valgrind fuzz fuzz-ci

test-asan: deps
	scripts/asan.sh

test-valgrind: deps all
	SMOTP_MODULE=$(abspath $(MODULE)) scripts/valgrind.sh

fuzz: deps
	fuzz/run.sh

fuzz-ci: deps
	fuzz/run.sh --ci
