#!/usr/bin/env bash
# Runs the whole suite (t/*.t) against the module built in build/, with the
# local API stand-in started for it and stopped after.  Extra arguments go
# to prove, e.g.  scripts/test.sh t/001-send.t
#
# Uses the CPAN Test::Nginx when it is installed, else the project's own
# runner in t/lib.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

dir=$root/build/test
export TEST_NGINX_STANDIN_PORT=${TEST_NGINX_STANDIN_PORT:-19850}
export TEST_NGINX_STANDIN_TLS_PORT=${TEST_NGINX_STANDIN_TLS_PORT:-19851}
export TEST_NGINX_CERT_DIR=$dir/certs
export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
export TEST_NGINX_LOAD_MODULES=${TEST_NGINX_LOAD_MODULES:-$root/build/ngx_http_smotp_module.so}

scripts/standin.sh stop "$dir"
trap 'scripts/standin.sh stop "$dir"' EXIT

scripts/standin.sh start "$dir" "$TEST_NGINX_STANDIN_PORT" \
    "$TEST_NGINX_STANDIN_TLS_PORT" --quiet \
    --api-key sm_test_0123456789abcdef --api-key sm_test_second_account

inc=()
if ! perl -MTest::Nginx::Socket -e 1 2> /dev/null; then
    inc=(-I "$root/t/lib")
fi

if [ $# -eq 0 ]; then
    # the demo README.md offers works too
    DEMO_PORT=${DEMO_PORT:-18080} scripts/demo.sh --check
    set -- t/
fi

prove "${inc[@]}" -r "$@"
