#!/usr/bin/env bash
# nginx itself and the module, built together from whole nginx sources
# (scripts/nginx-source.sh) with the given compiler flags: the builds that
# test the module under AddressSanitizer, valgrind and the fuzzer.
#
#   scripts/nginx-build.sh DIR CC_OPT LD_OPT [MODULE_CC_OPT]
#
# Leaves DIR/nginx/objs/nginx and DIR/nginx/objs/ngx_http_smotp_module.so
# (and every object file, which the fuzz target links).  MODULE_CC_OPT is
# added to CC_OPT for the module's own objects only (the sanitizer checks
# that nginx's core does not pass).  CC picks the compiler (cc by default).
# Configures again only when the flags, the module's config or this script
# change; make rebuilds what changed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mkdir -p "$1" && cd "$1" && pwd)
cc_opt=$2
ld_opt=$3
module_cc_opt=${4:-}
module_link=${5:-}

src=$("$root/scripts/nginx-source.sh" "$root/build/src")

stamp=$(printf '%s\n' "${CC:-cc}" "$cc_opt" "$ld_opt" "$module_cc_opt" \
               "$module_link" "$src" \
        | cat - "$root/config" "$root/scripts/configure-nginx.sh" "$0" \
        | cksum)

if [ ! -f "$dir/nginx/objs/Makefile" ] \
   || [ "$(cat "$dir/configured" 2> /dev/null)" != "$stamp" ]
then
    echo "configuring nginx in $dir/nginx"
    rm -f "$dir/configured"
    "$root/scripts/configure-nginx.sh" "$src" "$dir/nginx" "$cc_opt" \
        --with-ld-opt="$ld_opt"
    echo "$stamp" > "$dir/configured"
fi

echo "building nginx and the module in $dir/nginx"
cflags=$(sed -n 's/^CFLAGS = *//p' "$dir/nginx/objs/Makefile")

{
    make -C "$dir/nginx" -f objs/Makefile -j"$(nproc)" binary \
    && make -C "$dir/nginx" -f objs/Makefile -j"$(nproc)" modules \
            CFLAGS="$cflags $module_cc_opt" \
            ${module_link:+LINK="$module_link"}
} > "$dir/make.log" 2>&1 || {
    grep -E -B2 -A8 'error|Error' "$dir/make.log" | head -n 60 >&2
    exit 1
}
