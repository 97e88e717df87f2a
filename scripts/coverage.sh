#!/usr/bin/env bash
# make coverage: the suite (scripts/test.sh) against the module built with
# gcov's instrumentation, then what it ran of the module's sources.
#
#   scripts/coverage.sh [prove arguments, default t/]
#   scripts/coverage.sh --report    only the report, from the counts that
#                                   the last run left
#
# The module is built in BUILD/nginx (build/coverage) from the same nginx
# tree as `make` (NGINX_SRC, Debian's nginx-dev), unoptimised so that each
# line keeps its own code, and is loaded by the same nginx binary; the
# module that `make` builds is left alone.  Whatever sources the module's
# `config` lists are counted: the report takes the objects that exist.
#
# gcov's counts are written when a process that loaded the module exits
# normally (exit(), or the module unloaded on a reload), and are added to
# those already on disk, so the suite's many nginx starts add up; the
# counts are cleared before the suite runs.  Test::Nginx stops nginx with
# QUIT, then TERM; an nginx killed with KILL loses its counts (the runner
# says so with "killing the child process ... with force").
#
# Prints gcov's line and branch figures per source file and in total; the
# lines never run go to BUILD/uncovered.txt, those that only handle a
# failed allocation apart from the others, each of which is given the
# reason from scripts/coverage-reasons.txt that matches it.  With lcov
# (Debian's lcov), an HTML report goes to BUILD/html.
# SMOTP_COVERAGE_BUILD sets the build directory (build/coverage).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

build=${SMOTP_COVERAGE_BUILD:-$root/build/coverage}
mkdir -p "$build"
build=$(cd "$build" && pwd)

src=${NGINX_SRC:-/usr/share/nginx/src}
objs=$build/nginx/objs

# -O0: at -O2 gcc merges and moves lines, and the counts of a line may land
# on another.  _FORTIFY_SOURCE needs optimisation, so it is left out.
# NGX_HTTP_SMOTP_FAULTS: the faults t/019-faults.t makes
cc_opt="-g -O0 -fPIC --coverage -DNGX_HTTP_SMOTP_FAULTS=1"
cc_opt="$cc_opt -Wall -Wextra -Werror"

report() {
    local gcov_dir=$build/gcov

    rm -rf "$gcov_dir"
    mkdir -p "$gcov_dir"

    # the module's own objects only (objs/addon), not the generated
    # ngx_http_smotp_module_modules.c
    find "$objs/addon" -name '*.gcno' | sort > "$gcov_dir/objects"
    if [ ! -s "$gcov_dir/objects" ]; then
        echo "coverage: no instrumented object in $objs/addon" >&2
        exit 1
    fi

    (
        cd "$gcov_dir"
        while read -r gcno; do
            # one JSON file per object; an object whose code never ran has
            # no .gcda, and gcov counts all its lines as not run
            gcov --json-format --branch-probabilities --branch-counts \
                 "$gcno" \
                 > /dev/null 2>> gcov.log
        done < objects
    )

    python3 "$root/scripts/coverage-report.py" \
        --root "$root" \
        --reasons "$root/scripts/coverage-reasons.txt" \
        --uncovered "$build/uncovered.txt" \
        "$gcov_dir"/*.gcov.json.gz

    if command -v lcov > /dev/null && command -v genhtml > /dev/null; then
        lcov --quiet --capture --rc lcov_branch_coverage=1 \
             --directory "$objs/addon" \
             --output-file "$build/all.info" 2>> "$gcov_dir/lcov.log"
        lcov --quiet --rc lcov_branch_coverage=1 \
             --extract "$build/all.info" "$root/*" \
             --output-file "$build/coverage.info" 2>> "$gcov_dir/lcov.log"
        rm -rf "$build/html"
        genhtml --quiet --branch-coverage --legend \
                --prefix "$root" --title "ngx_http_smotp_module" \
                --output-directory "$build/html" "$build/coverage.info" \
                2>> "$gcov_dir/lcov.log"
        echo "HTML report: $build/html/index.html"
    else
        echo "no HTML report: lcov is not installed (apt-get install lcov)"
    fi
    echo "uncovered lines: $build/uncovered.txt"
}

if [ "${1:-}" = --report ]; then
    report
    exit 0
fi

stamp=$(printf '%s\n' "$cc_opt" "$src" \
        | cat - "$root/config" "$root/scripts/configure-nginx.sh" "$0" \
        | cksum)

if [ ! -f "$objs/Makefile" ] \
   || [ "$(cat "$build/configured" 2> /dev/null)" != "$stamp" ]
then
    echo "configuring nginx in $build/nginx"
    rm -f "$build/configured"
    "$root/scripts/configure-nginx.sh" "$src" "$build/nginx" "$cc_opt"
    echo "$stamp" > "$build/configured"
fi

echo "building the module with --coverage in $build/nginx"
# the module's link line has no LD_OPT: the gcov run-time comes in
# through LINK
make -C "$build/nginx" -f objs/Makefile modules LINK="${CC:-cc} --coverage" \
    > "$build/make.log" 2>&1 || {
    grep -E -B2 -A8 'error|Error' "$build/make.log" | head -n 60 >&2
    exit 1
}

find "$objs" -name '*.gcda' -delete

# a test's nginx run as root with a master (t/028, t/029) has its
# workers as "nobody", which must be able to write their counts too: to
# the directories, and to the counts files whoever made them first
chmod -R a+rwX "$objs"
umask 000

export TEST_NGINX_LOAD_MODULES=$objs/ngx_http_smotp_module.so
export TEST_NGINX_SERVROOT=$build/servroot
export TEST_NGINX_SMOTP_FAULTS=1

[ $# -gt 0 ] || set -- t/

rc=0
"$root/scripts/test.sh" "$@" || rc=$?

report

if [ "$rc" -ne 0 ]; then
    echo "coverage: the suite failed (above); the figures are of that run" >&2
    exit "$rc"
fi
