#!/usr/bin/env bash
# Starts the local API stand-in in the background and waits until it
# listens:  scripts/standin.sh start DIR PORT TLS_PORT [stand-in flags]
#           scripts/standin.sh stop DIR
# DIR receives the test certificates, the pid file and the log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cmd=$1
dir=$2

case "$cmd" in
start)
    port=$3
    tls_port=$4
    shift 4

    mkdir -p "$dir"
    "$root/t/standin/make-certs.sh" "$dir/certs"
    rm -f "$dir/standin.pid"

    python3 "$root/t/standin/smotp_standin.py" \
        --port "$port" --tls-port "$tls_port" \
        --cert "$dir/certs/server.crt" --key "$dir/certs/server.key" \
        --pid-file "$dir/standin.pid" "$@" \
        > "$dir/standin.log" 2>&1 &
    pid=$!

    # ready when this very process has bound both ports and written its
    # pid file: an older stand-in still on the ports (one that did not
    # stop) answers a port probe too, and its counts would be taken for
    # this one's
    for _ in $(seq 1 100); do
        if [ "$(cat "$dir/standin.pid" 2> /dev/null)" = "$pid" ]; then
            exit 0
        fi
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.1
    done

    kill "$pid" 2> /dev/null || true
    echo "the API stand-in did not start on ports $port and $tls_port:" >&2
    cat "$dir/standin.log" >&2
    exit 1
    ;;

stop)
    if [ -f "$dir/standin.pid" ]; then
        pid=$(cat "$dir/standin.pid")
        kill "$pid" 2> /dev/null || true
        rm -f "$dir/standin.pid"

        # gone before a new one binds its ports, or the readiness check
        # of the next start could see this one
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2> /dev/null; then
            echo "the API stand-in $pid did not stop: killed" >&2
            kill -9 "$pid" 2> /dev/null || true
            sleep 0.1
        fi
    fi
    ;;
esac
