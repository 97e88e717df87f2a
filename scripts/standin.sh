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

    python3 "$root/t/standin/smotp_standin.py" \
        --port "$port" --tls-port "$tls_port" \
        --cert "$dir/certs/server.crt" --key "$dir/certs/server.key" \
        --pid-file "$dir/standin.pid" "$@" \
        > "$dir/standin.log" 2>&1 &

    for _ in $(seq 1 100); do
        if (exec 3<> "/dev/tcp/127.0.0.1/$tls_port") 2> /dev/null \
           && (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null
        then
            exit 0
        fi
        sleep 0.1
    done

    echo "the API stand-in did not start:" >&2
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
    fi
    ;;
esac
