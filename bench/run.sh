#!/usr/bin/env bash
# make bench: installs the benchmark's Debian packages (bench/packages) as
# root, or says what to install, then runs bench/bench.py, which prints
# the report and writes it to build/bench/results.md.  Settings are
# environment variables, listed at the top of bench/bench.py, e.g.
#   BENCH_LONG_REQUESTS=1000000 make bench
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/deps.sh bench/packages

if [ ! -f build/ngx_http_smotp_module.so ]; then
    echo "bench: build/ngx_http_smotp_module.so is missing: run make" >&2
    exit 1
fi

exec python3 bench/bench.py "$@"
