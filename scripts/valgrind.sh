#!/usr/bin/env bash
# make test-valgrind: the suite with nginx under valgrind's memcheck, the
# way Test::Nginx's TEST_NGINX_USE_VALGRIND runs it (nginx in the
# foreground, each block's nginx in a valgrind of its own, blocks that must
# fail to start run without it), and every error valgrind finds fails the
# run: invalid reads and writes, use of uninitialised values, bad frees and
# definite leaks.
#
#   scripts/valgrind.sh [prove arguments, default t/]
#
# The module is the one `make` builds (build/ngx_http_smotp_module.so,
# what is installed); nginx is built from the same version's sources with
# Debian's flags plus NGX_DEBUG_PALLOC, which makes every pool allocation
# a malloc() of its own, so that valgrind sees the bounds of each string
# the module puts in a pool (OpenResty tests under valgrind with its
# no-pool patch for the same reason).  The two are binary-compatible:
# same version, same configure flags.
#
# valgrind writes one log per process (BUILD/logs); with -q it writes only
# errors.  The noise of nginx's core and its libraries is suppressed in
# scripts/valgrind.supp, which says why.  SMOTP_VALGRIND_BUILD sets the
# build directory (build/valgrind).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

build=${SMOTP_VALGRIND_BUILD:-$root/build/valgrind}
mkdir -p "$build"
build=$(cd "$build" && pwd)

module=${SMOTP_MODULE:-$root/build/ngx_http_smotp_module.so}
if [ ! -f "$module" ]; then
    echo "no $module: run make first" >&2
    exit 1
fi

"$root/scripts/nginx-build.sh" "$build" \
    "-g -O1 -DNGX_DEBUG_PALLOC=1 -Wall -Wextra -Wno-unused-parameter -Werror" \
    ""

logs=$build/logs
rm -rf "$logs" "$build"/servroot*
mkdir -p "$logs"

# a string, not a number: Test::Nginx then runs "valgrind -q $value nginx"
export TEST_NGINX_USE_VALGRIND="--tool=memcheck --leak-check=full \
--show-leak-kinds=definite --errors-for-leak-kinds=definite \
--keep-debuginfo=yes --num-callers=50 --trace-children=yes \
--suppressions=$root/scripts/valgrind.supp --gen-suppressions=all \
--log-file=$logs/valgrind.%p.log"

export TEST_NGINX_BINARY=$build/nginx/objs/nginx
export TEST_NGINX_LOAD_MODULES=$module
export TEST_NGINX_SERVROOT=$build/servroot
# nginx starts and answers several times slower under valgrind
export TEST_NGINX_TIMEOUT=${TEST_NGINX_TIMEOUT:-10}

[ $# -gt 0 ] || set -- t/

rc=0
"$root/scripts/test.sh" "$@" || rc=$?

# with -q, valgrind logs nothing but errors (and their suppressions)
bad=0
for f in "$logs"/valgrind.*.log; do
    [ -s "$f" ] || continue
    bad=$((bad + 1))
    echo "=== valgrind $f" >&2
    cat "$f" >&2
done

if [ "$bad" -gt 0 ]; then
    echo "test-valgrind: FAILED: valgrind found errors in $bad nginx" \
         "process(es), above" >&2
    exit 1
fi

if [ "$rc" -ne 0 ]; then
    echo "test-valgrind: the suite failed under valgrind" >&2
    exit "$rc"
fi

echo "test-valgrind: no valgrind error"
