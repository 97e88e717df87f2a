#!/usr/bin/env bash
# Runs the whole suite (t/*.t) against the module built in build/, with the
# local API stand-in started for it and stopped after.  Extra arguments go
# to prove, e.g.  scripts/test.sh t/001-send.t
#
# Uses the CPAN Test::Nginx when it is installed, else the project's own
# runner in t/lib.
#
# SMOTP_TEST_JOBS=N (default: the number of CPUs, at most 4) splits the
# files into N shards run side by side, each with its own stand-in, its
# own ports and its own server root (build/test-K), since a Test::Nginx
# run owns its port and servroot.  The files go to the shards largest
# first, each to the shard with the fewest bytes so far; each shard's
# output is printed whole when it ends.  A file with the line
# "# smotp-test: serial" asserts times (a deadline, a backoff), which a
# second nginx under valgrind on the other core stretches: those run
# after the shards, one prove for them alone.  Under valgrind and the
# sanitizers, where nginx itself is the cost, this nearly halves the time
# on two cores.  SMOTP_TEST_JOBS=1 runs one prove, as before.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
export TEST_NGINX_LOAD_MODULES=${TEST_NGINX_LOAD_MODULES:-$root/build/ngx_http_smotp_module.so}

inc=()
if ! perl -MTest::Nginx::Socket -e 1 2> /dev/null; then
    inc=(-I "$root/t/lib")
fi

# one shard: its stand-in, then prove on the files given
shard() {
    local dir=$1
    shift

    export TEST_NGINX_CERT_DIR=$dir/certs

    scripts/standin.sh stop "$dir"
    # shellcheck disable=SC2064
    trap "scripts/standin.sh stop '$dir'" EXIT

    scripts/standin.sh start "$dir" "$TEST_NGINX_STANDIN_PORT" \
        "$TEST_NGINX_STANDIN_TLS_PORT" --quiet \
        --api-key sm_test_0123456789abcdef --api-key sm_test_second_account

    prove "${inc[@]}" -r "$@"
}

if [ -n "${SMOTP_TEST_SHARD_DIR:-}" ]; then
    shard "$SMOTP_TEST_SHARD_DIR" "$@"
    exit
fi

if [ $# -eq 0 ]; then
    # the demo README.md offers works too
    DEMO_PORT=${DEMO_PORT:-18080} scripts/demo.sh --check
    set -- t/
fi

jobs=${SMOTP_TEST_JOBS:-$(nproc 2> /dev/null || echo 1)}
[ "$jobs" -le 4 ] || jobs=4

# the .t files the arguments name, or nothing when they are not all files
# and directories (prove options: one prove then)
files=()
for a in "$@"; do
    if [ -d "$a" ]; then
        while IFS= read -r f; do files+=("$f"); done \
            < <(find "$a" -name '*.t' | sort)
    elif [ -f "$a" ]; then
        files+=("$a")
    else
        files=()
        jobs=1
        break
    fi
done

serial=()
if [ "$jobs" -gt 1 ]; then
    rest=()
    for f in "${files[@]}"; do
        if grep -q '^# smotp-test: serial' "$f"; then
            serial+=("$f")
        else
            rest+=("$f")
        fi
    done
    files=("${rest[@]}")
fi

[ "${#files[@]}" -ge "$jobs" ] || jobs=1

port=${TEST_NGINX_PORT:-1984}
standin_port=${TEST_NGINX_STANDIN_PORT:-19850}
servroot=${TEST_NGINX_SERVROOT:-}

if [ "$jobs" -eq 1 ]; then
    export TEST_NGINX_STANDIN_PORT=$standin_port
    export TEST_NGINX_STANDIN_TLS_PORT=${TEST_NGINX_STANDIN_TLS_PORT:-$((standin_port + 1))}
    if [ "${#serial[@]}" -eq 0 ]; then
        shard "$root/build/test" "$@"
    else
        shard "$root/build/test" "${files[@]}" "${serial[@]}"
    fi
    exit
fi

# largest first, each to the lightest shard
declare -a load list
for ((k = 0; k < jobs; k++)); do load[k]=0; list[k]=; done

while read -r size f; do
    best=0
    for ((k = 1; k < jobs; k++)); do
        [ "${load[k]}" -lt "${load[best]}" ] && best=$k
    done
    load[best]=$((load[best] + size))
    list[best]="${list[best]} $f"
done < <(for f in "${files[@]}"; do echo "$(wc -c < "$f") $f"; done \
         | sort -rn)

# shard K's ports, server root and directory, then this script on the
# files given (run in a subshell: the exports are its own)
run_shard() {
    local k=$1
    shift

    mkdir -p "$root/build/test-$k"
    export TEST_NGINX_PORT=$((port + 10 * k))
    export TEST_NGINX_SERVER_PORT=$TEST_NGINX_PORT
    export TEST_NGINX_STANDIN_PORT=$((standin_port + 2 * k))
    export TEST_NGINX_STANDIN_TLS_PORT=$((standin_port + 2 * k + 1))
    export TEST_NGINX_SERVROOT=${servroot:+$servroot-$k}
    export TEST_NGINX_SERVROOT=${TEST_NGINX_SERVROOT:-$root/build/test-$k/servroot}
    export SMOTP_TEST_SHARD_DIR=$root/build/test-$k
    exec "$0" "$@"
}

pids=()
for ((k = 0; k < jobs; k++)); do
    mkdir -p "$root/build/test-$k"
    # shellcheck disable=SC2086
    (run_shard "$k" ${list[k]}) > "$root/build/test-$k/prove.log" 2>&1 &
    pids[k]=$!
done

rc=0
for ((k = 0; k < jobs; k++)); do
    r=0
    wait "${pids[k]}" || r=$?
    echo "=== shard $k of $jobs (build/test-$k/prove.log):${list[k]}"
    cat "$root/build/test-$k/prove.log"
    [ "$r" -eq 0 ] || rc=$r
done

if [ "${#serial[@]}" -gt 0 ]; then
    echo "=== alone, after the shards (build/test-0): ${serial[*]}"
    r=0
    (run_shard 0 "${serial[@]}") || r=$?
    [ "$r" -eq 0 ] || rc=$r
fi

if [ "$rc" -eq 0 ]; then
    echo "test: all $jobs shards passed"
else
    echo "test: FAILED: a shard failed, above" >&2
fi

exit "$rc"
