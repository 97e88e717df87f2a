#!/usr/bin/env bash
# Builds the fuzz target, build/asan/smotp_fuzz: fuzz/smotp_fuzz.c with
# libFuzzer, linked with the module's objects and nginx's core objects as
# scripts/asan.sh builds them (clang, AddressSanitizer, UBSan, libFuzzer's
# coverage, NGX_DEBUG_PALLOC).  Prints the target's path.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

build=${SMOTP_ASAN_BUILD:-$root/build/asan}
cc=${SMOTP_ASAN_CC:-clang}

"$root/scripts/asan.sh" --build >&2

build=$(cd "$build" && pwd)
nginx=$build/nginx
target=$build/smotp_fuzz

cd "$nginx"

cflags=$(sed -n 's/^CFLAGS = *//p' objs/Makefile)

# nginx's include directories, as objs/Makefile gives them to its modules
incs=$(make -s -f objs/Makefile -f - print-incs <<'EOF'
print-incs:
	@echo $(ALL_INCS)
EOF
)

# nginx's own link line, less its objects: the libraries and flags
libs=$(awk '/^objs\/nginx:/ { f = 1 }
            f && /\$\(LINK\) -o objs\/nginx/ { g = 1; next }
            g { print; if ($0 !~ /\\$/) exit }' objs/Makefile \
       | tr -d '\\\t' | tr ' ' '\n' | grep -v '\.o$' | grep -v '^$' \
       | tr '\n' ' ')

# nginx's main() gives way to libFuzzer's
objcopy --redefine-sym main=ngx_fuzz_nginx_main objs/src/core/nginx.o \
    "$build/fuzz-nginx.o"

core=$(find objs/src -name '*.o' ! -path objs/src/core/nginx.o | sort)
module=$(find objs/addon -name '*.o' | sort)

# shellcheck disable=SC2086
"$cc" -c $cflags $incs -I "$root/src" -o "$build/smotp_fuzz.o" \
    "$root/fuzz/smotp_fuzz.c"

# shellcheck disable=SC2086
"$cc" -fsanitize=fuzzer,address,undefined -o "$target" \
    "$build/smotp_fuzz.o" "$build/fuzz-nginx.o" $core objs/ngx_modules.o \
    $module $libs -lcjson

echo "$target"
