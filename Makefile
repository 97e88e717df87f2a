# ngx_http_smotp_module
#
#   make            the module, against the distribution's nginx (nginx-dev)
#   make NGINX_SRC=/path/to/nginx-x.y.z    against an upstream tree
#   make demo       nginx with the module in front of the local API stand-in
#   make test       the whole test suite (t/*.t)

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

.PHONY: all deps demo test test-reload install clean

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

test-reload: deps all
	scripts/reload-check.py

install: $(MODULE)
	install -d $(DESTDIR)$(MODULES_DIR) $(DESTDIR)$(SHARE_DIR)
	install -m 644 $(MODULE) $(DESTDIR)$(MODULES_DIR)/
	install -m 644 conf/api.conf conf/api_location.conf $(DESTDIR)$(SHARE_DIR)/

clean:
	rm -rf $(BUILD) t/servroot
