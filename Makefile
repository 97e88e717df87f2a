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

.PHONY: all deps demo test test-browser test-reload install clean bench coverage

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

# Debian's chromium walks the demo (scripts/browser-test.py); screenshots
# in build/browser/
test-browser: deps all
	/usr/bin/python3 scripts/browser-test.py

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

# the Debian package (debian/, built by dh_nginx and the nginx_mod build
# system of nginx-dev): a copy of the tree in build/deb/, built there with
# dpkg-buildpackage, checked by lintian; the module's version
# (NGX_HTTP_SMOTP_VERSION), debian/changelog's and CHANGELOG.md's first
# heading must agree.  make test-deb installs it, uses it through the
# system nginx and purges it (scripts/test-deb.sh)
.PHONY: deb test-deb

DEB_NAME     := libnginx-mod-http-smotp
DEB_DIR      := $(BUILD)/deb
SMOTP_VERSION = $(shell sed -n \
    's/^\#define NGX_HTTP_SMOTP_VERSION  *"\(.*\)"$$/\1/p' src/ngx_http_smotp.h)
DEB_VERSION   = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB_UPSTREAM  = $(shell echo '$(DEB_VERSION)' | sed 's/-[^-]*$$//')
DEB_ARCH      = $(shell dpkg --print-architecture)
DEB_FILE      = $(DEB_DIR)/$(DEB_NAME)_$(DEB_VERSION)_$(DEB_ARCH).deb

deb: deps
	@v='$(SMOTP_VERSION)'; d='$(DEB_UPSTREAM)'; \
	c=$$(sed -n 's/^## \([^ ]*\).*/\1/p' CHANGELOG.md | head -n 1); \
	if [ -z "$$v" ]; then \
	    echo "make deb: no NGX_HTTP_SMOTP_VERSION in src/ngx_http_smotp.h" >&2; \
	    exit 1; \
	fi; \
	if [ "$$v" != "$$d" ] || [ "$$v" != "$$c" ]; then \
	    echo "make deb: versions differ: src/ngx_http_smotp.h \"$$v\"," \
	         "debian/changelog \"$$d\", CHANGELOG.md \"$$c\"" >&2; \
	    exit 1; \
	fi; \
	echo "make deb: version $$v"
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/$(DEB_NAME)-$(DEB_UPSTREAM)
	tar -c --exclude=./.git --exclude=./$(BUILD) --exclude='./t/servroot*' \
	    --exclude=__pycache__ . | tar -x -C $(DEB_DIR)/$(DEB_NAME)-$(DEB_UPSTREAM)
	cd $(DEB_DIR)/$(DEB_NAME)-$(DEB_UPSTREAM) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error --display-info $(DEB_FILE)
	@echo "make deb: $(DEB_FILE)"
	dpkg-deb --info $(DEB_FILE) | sed -n 's/^ \(Package\|Version\|Depends\):/&/p'
	dpkg-deb --contents $(DEB_FILE)

test-deb: deb
	scripts/test-deb.sh $(DEB_FILE)
