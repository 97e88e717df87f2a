#!/usr/bin/env bash
# make test-asan: the whole suite (scripts/test.sh) against nginx and the
# module built with AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   scripts/asan.sh [prove arguments, default t/]
#   scripts/asan.sh --build       only builds (fuzz/build.sh links the fuzz
#                                 target with these objects)
#
# nginx is built from its whole sources (scripts/nginx-build.sh), not
# Debian's binary with libasan preloaded: nginx hands out request memory
# from its pools, carved out of big malloc()ed blocks that the sanitizer
# cannot see into.  Built with NGX_DEBUG_PALLOC, every pool allocation is a
# malloc() of its own, so that a byte read or written past a string the
# module put in a pool is caught, not only a byte past the pool's block.
# The objects also carry libFuzzer's coverage instrumentation
# (fuzzer-no-link, inert without libFuzzer), so that the fuzz target links
# these very objects instead of building nginx a second time.
#
# Every sanitizer report (log_path: one file per nginx process, in
# BUILD/reports) fails the run, whatever the tests said: a worker that
# aborts on a report may have answered already.  The noise of nginx's core
# and OpenSSL, memory kept until exit, is in scripts/lsan.supp and, for
# the one case LeakSanitizer cannot tell apart, scripts/lsan-stacks.txt
# (read by scripts/sanitizer-reports.py); each says why.
# SMOTP_ASAN_BUILD sets the build directory (build/asan).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

build=${SMOTP_ASAN_BUILD:-$root/build/asan}
mkdir -p "$build"
build=$(cd "$build" && pwd)

# clang, not gcc: gcc's UBSan writes to stderr whatever log_path says.
#
# nginx's core does three things on purpose that UBSan reports, so it is
# built without those three checks; the module's objects get every check:
# - alignment: the parsers compare unaligned words (ngx_str4cmp and the
#   like, NGX_HAVE_NONALIGNED);
# - nonnull-attribute: memcpy(dst, NULL, 0) for an empty ngx_str_t, from
#   the very start (ngx_pstrdup of the empty conf_param in ngx_init_cycle);
# - pointer-overflow: arithmetic on pointers that may be NULL, such as the
#   relocation of script codes in ngx_http_script_add_code().
export CC=${SMOTP_ASAN_CC:-clang}

sanitize="-fsanitize=address,undefined"
core_only="alignment,nonnull-attribute,pointer-overflow"

core_cc_opt="-g -O1 -fno-omit-frame-pointer $sanitize,fuzzer-no-link"
core_cc_opt="$core_cc_opt -fno-sanitize=$core_only -fno-sanitize-recover=all"
core_cc_opt="$core_cc_opt -DNGX_DEBUG_PALLOC=1"
core_cc_opt="$core_cc_opt -Wall -Wextra -Wno-unused-parameter -Werror"
module_cc_opt="-fsanitize=$core_only -fno-sanitize-recover=all"
# the faults t/019-faults.t makes (src/ngx_http_smotp_fault.h)
module_cc_opt="$module_cc_opt -DNGX_HTTP_SMOTP_FAULTS=1"

# the module stays loaded until the very end, for the leak reports' sake
"$CC" -c -O1 -o "$build/keep-modules.o" "$root/scripts/keep-modules.c"

# -Bsymbolic: the module's own globals (the ngx_modules list nginx's
# build writes for every dynamic module) bound to the module, not to
# nginx's globals of the same name; else AddressSanitizer takes nginx's
# ngx_modules for the module's 16 bytes once the module is loaded, and
# the next reload's copy of it is reported as an overflow
"$root/scripts/nginx-build.sh" "$build" "$core_cc_opt" \
    "$sanitize $build/keep-modules.o" "$module_cc_opt" \
    "$CC -Wl,-Bsymbolic"

if [ "${1:-}" = --build ]; then
    exit 0
fi

reports=$build/reports
rm -rf "$reports" "$build"/servroot*
mkdir -p "$reports"

# fast_unwind_on_malloc=0: Debian's OpenSSL has no frame pointers, and a
# leak's stack must reach nginx's frames to be told apart
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:halt_on_error=1\
:check_initialization_order=1:strict_string_checks=1\
:fast_unwind_on_malloc=0:print_summary=1"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp\
:print_suppressions=0"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1\
:halt_on_error=1:report_error_type=1"

export TEST_NGINX_BINARY=$build/nginx/objs/nginx
export TEST_NGINX_LOAD_MODULES=$build/nginx/objs/ngx_http_smotp_module.so
export TEST_NGINX_SERVROOT=$build/servroot
export TEST_NGINX_SMOTP_FAULTS=1

[ $# -gt 0 ] || set -- t/

rc=0
"$root/scripts/test.sh" "$@" || rc=$?

# shellcheck disable=SC2046
if ! python3 "$root/scripts/sanitizer-reports.py" \
        "$root/scripts/lsan-stacks.txt" \
        $(find "$reports" -type f | sort) >&2
then
    echo "test-asan: FAILED: the sanitizers reported errors, above" >&2
    exit 1
fi

if [ "$rc" -ne 0 ]; then
    echo "test-asan: FAILED: the suite failed under the sanitizers" >&2
    exit "$rc"
fi

echo "test-asan: no sanitizer report"
