#!/usr/bin/env bash
# make test-deb: the Debian package as an administrator would use it.
#
#   scripts/test-deb.sh build/deb/libnginx-mod-http-smotp_VERSION_ARCH.deb
#
# Installs the package with apt-get, checks where its files went and that
# dh_nginx's postinst enabled the module, writes a site to
# /etc/nginx/sites-enabled/ (port SMOTP_DEB_PORT, 19210 by default) with
# smotp_api_key_file, smotp_send, smotp_verify and the installed
# api_location_resolver.conf pointed at the local API stand-in over plain
# HTTP, and runs the system nginx (/usr/sbin/nginx, /etc/nginx/nginx.conf,
# which loads modules-enabled/): started here and stopped after, or
# reloaded if it was already running.  Then send, the code read from the
# stand-in's test inbox, a wrong code, the right one, all with curl.
#
# Whatever happens, the trap puts the machine back as it was: nginx
# stopped (or reloaded without the site), the site removed, the package
# purged, the stand-in stopped; it then compares sites-enabled/,
# modules-enabled/ and the package list with what they were before.
# Needs root (apt-get, /etc/nginx).
# shellcheck disable=SC2015  # "A && B || fail": fail exits
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

deb=$(realpath "${1:?usage: scripts/test-deb.sh PACKAGE.deb}")
pkg=libnginx-mod-http-smotp
port=${SMOTP_DEB_PORT:-19210}
standin_port=${TEST_NGINX_STANDIN_PORT:-19850}
standin_tls_port=${TEST_NGINX_STANDIN_TLS_PORT:-19851}
dir=$root/build/test-deb
site=/etc/nginx/sites-enabled/smotp-test-deb
nginx=/usr/sbin/nginx
pid_file=$(sed -n 's/^[[:space:]]*pid[[:space:]]\+\([^;]*\);.*/\1/p' \
               /etc/nginx/nginx.conf | head -n 1)
pid_file=${pid_file:-/run/nginx.pid}
phone=+919876543210
base=http://127.0.0.1:$port

passed=0
failed=0

say() { echo "test-deb: $*"; }

ok() {
    passed=$((passed + 1))
    echo "ok $passed - $*"
}

fail() {
    failed=$((failed + 1))
    echo "not ok $((passed + failed)) - $*"
    say "$passed passed, $failed failed"
    exit 1
}

nginx_pid() {
    local pid
    pid=$(cat "$pid_file" 2> /dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null && echo "$pid"
}

state() {
    ls -lA /etc/nginx/sites-enabled /etc/nginx/modules-enabled
    dpkg -l | grep smotp || true
}

[ "$(id -u)" = 0 ] || { say "needs root (apt-get, /etc/nginx)" >&2; exit 1; }

if dpkg -s "$pkg" > /dev/null 2>&1; then
    say "$pkg is installed already: not touching it" >&2
    exit 1
fi
if [ -e "$site" ]; then
    say "$site exists already: not touching it" >&2
    exit 1
fi
if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
    say "port $port is in use (set SMOTP_DEB_PORT)" >&2
    exit 1
fi

before=$(state)
was_running=no
nginx_pid > /dev/null && was_running=yes
started=""
installed=""

cleanup() {
    local rc=$? pid after

    set +e
    if [ -n "$started" ] && pid=$(nginx_pid); then
        "$nginx" -s quit 2> /dev/null
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2> /dev/null && kill "$pid"
    fi
    rm -f "$site"
    if [ -n "$installed" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$pkg" \
            > "$dir/purge.log" 2>&1 || cat "$dir/purge.log" >&2
    fi
    if [ "$was_running" = yes ] && nginx_pid > /dev/null; then
        # the running nginx back to its own configuration, without the
        # site or the module
        "$nginx" -s reload 2> /dev/null
    fi
    scripts/standin.sh stop "$dir"

    after=$(state)
    if [ "$after" != "$before" ]; then
        say "the machine is not as it was:" >&2
        diff <(echo "$before") <(echo "$after") >&2
        [ "$rc" = 0 ] && rc=1
    else
        say "cleaned up: $pkg purged, $site removed, nginx" \
            "$([ "$was_running" = yes ] && echo reloaded || echo stopped)"
    fi
    exit "$rc"
}
trap cleanup EXIT

rm -rf "$dir"
mkdir -p "$dir"

# the package

say "installing $deb"
installed=yes
DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" \
    > "$dir/install.log" 2>&1 \
    || { cat "$dir/install.log" >&2; fail "apt-get install $deb"; }
ok "apt-get install $(basename "$deb")"

for f in /usr/lib/nginx/modules/ngx_http_smotp_module.so \
         /usr/share/nginx/modules-available/mod-http-smotp.conf \
         /usr/share/nginx/smotp/api.conf \
         /usr/share/nginx/smotp/api_location.conf \
         /usr/share/nginx/smotp/api_location_resolver.conf \
         /usr/share/doc/$pkg/README.md.gz \
         /usr/share/doc/$pkg/changelog.gz \
         /usr/share/doc/$pkg/changelog.Debian.gz \
         /usr/share/doc/$pkg/copyright
do
    [ -f "$f" ] || fail "installed: $f"
done
ok "the module, its load file, the include files and the docs installed"

link=/etc/nginx/modules-enabled/50-mod-http-smotp.conf
[ "$(readlink "$link")" = /usr/share/nginx/modules-available/mod-http-smotp.conf ] \
    || fail "$link links to the load file (postinst)"
grep -qx 'load_module modules/ngx_http_smotp_module.so;' "$link" \
    || fail "$link loads the module"
ok "postinst enabled the module: $link"

abi=$(dpkg-query -W -f '${Depends}' "$pkg")
case "$abi" in
*nginx-abi-*) ;;
*) fail "depends on the nginx ABI: $abi" ;;
esac
case "$abi" in
*libcjson1*) ;;
*) fail "depends on libcjson1: $abi" ;;
esac
ok "depends: $abi"

# the site: the installed API location, pointed at the stand-in over HTTP

scripts/standin.sh start "$dir" "$standin_port" "$standin_tls_port" \
    --api-key sm_test_0123456789abcdef

echo sm_test_0123456789abcdef > "$dir/api.key"
chmod 600 "$dir/api.key"

api_location=$(sed \
    -e "s|api\.startmessaging\.com:443|127.0.0.1:$standin_port|" \
    -e 's|proxy_pass https://|proxy_pass http://|' \
    -e 's|^|    |' \
    /usr/share/nginx/smotp/api_location_resolver.conf)
echo "$api_location" | grep -q "set \$smotp_api_server 127.0.0.1:$standin_port;" \
    && echo "$api_location" | grep -qF "proxy_pass http://\$smotp_api_server;" \
    || fail "api_location_resolver.conf pointed at the stand-in"

cat > "$site" << EOF
# written by scripts/test-deb.sh (make test-deb), removed when it ends
server {
    listen 127.0.0.1:$port;
    server_name smotp-test-deb;
    access_log $dir/access.log;
    error_log $dir/error.log info;

    smotp_api_key_file $dir/api.key;

$api_location

    location = /auth/send-otp   { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
}
EOF

"$nginx" -t > "$dir/nginx-t.log" 2>&1 \
    || { cat "$dir/nginx-t.log" >&2; fail "nginx -t with the site"; }
ok "nginx -t: /etc/nginx/nginx.conf with modules-enabled and the site"

if [ "$was_running" = yes ]; then
    say "nginx is running already: reloading it"
    "$nginx" -s reload
else
    started=yes
    "$nginx" || fail "/usr/sbin/nginx started"
fi

for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base/auth/send-otp") \
        || code=000
    [ "$code" = 405 ] && break
    sleep 0.1
done
[ "$code" = 405 ] || fail "the site answers on port $port ($code)"
ok "nginx serves the site on port $port"

# send, read the code, verify

# curl_json NAME METHOD PATH [BODY]: the answer in $dir/NAME.json, its
# status and type in $status and $type
curl_json() {
    local out
    out=$(curl -s -o "$dir/$1.json" -w '%{http_code} %{content_type}' \
               -X "$2" -H 'Content-Type: application/json' \
               ${4:+--data-binary "$4"} "$3") || fail "curl $3"
    status=${out%% *}
    type=${out#* }
}

# field NAME KEY: a member of $dir/NAME.json, as JSON
field() {
    python3 -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1])).get(sys.argv[2])))' \
        "$dir/$1.json" "$2"
}

curl_json send POST "$base/auth/send-otp" "{\"phoneNumber\":\"$phone\"}"
[ "$status" = 200 ] && [ "$type" = application/json ] \
    || fail "send: 200 application/json ($status $type: $(cat "$dir/send.json"))"
request_id=$(field send requestId)
[ "$(field send attemptsLeft)" = 3 ] && [ "$request_id" != null ] \
    || fail "send: requestId, attemptsLeft 3: $(cat "$dir/send.json")"
ok "send: 200 $(cat "$dir/send.json")"

curl_json inbox GET \
    "http://127.0.0.1:$standin_port/_test/inbox?phone=%2B${phone#+}"
[ "$status" = 200 ] || fail "the stand-in's inbox: $status"
code=$(field inbox code)
[ "$(field inbox requestId)" = "$request_id" ] \
    && [ "$(field inbox count)" = 1 ] \
    || fail "one SMS, for the request id sent: $(cat "$dir/inbox.json")"
ok "the stand-in sent one SMS for $request_id"

wrong=$(python3 -c 'import sys; c = sys.argv[1].strip("\"")
print("".join(str((int(d) + 1) % 10) for d in c))' "$code")

curl_json wrong POST "$base/auth/verify-otp" \
    "{\"requestId\":$request_id,\"otpCode\":\"$wrong\"}"
[ "$status" = 200 ] && [ "$type" = application/json ] \
    && [ "$(field wrong verified)" = false ] \
    && [ "$(field wrong attemptsLeft)" = 2 ] \
    || fail "a wrong code: verified false ($status $(cat "$dir/wrong.json"))"
ok "verify, a wrong code: $(cat "$dir/wrong.json")"

curl_json verify POST "$base/auth/verify-otp" \
    "{\"requestId\":$request_id,\"otpCode\":$code}"
[ "$status" = 200 ] && [ "$type" = application/json ] \
    && [ "$(field verify verified)" = true ] \
    || fail "verify: verified true ($status $(cat "$dir/verify.json"))"
ok "verify, the code of the SMS: $(cat "$dir/verify.json")"

curl_json again POST "$base/auth/verify-otp" \
    "{\"requestId\":$request_id,\"otpCode\":$code}"
[ "$status" = 410 ] && [ "$type" = application/json ] \
    && [ "$(field again error)" != null ] \
    || fail "the same code again: 410 JSON ($status $(cat "$dir/again.json"))"
ok "verify, the code again: 410 $(cat "$dir/again.json")"

curl_json bad POST "$base/auth/send-otp" '{"phoneNumber":"12345"}'
[ "$status" = 400 ] && [ "$type" = application/json ] \
    && [ "$(field bad error)" != null ] \
    || fail "a bad phone number: 400 JSON ($status $(cat "$dir/bad.json"))"
ok "send, a bad phone number: 400 $(cat "$dir/bad.json")"

if grep -q "${code//\"/}" "$dir/error.log" "$dir/access.log"; then
    fail "the code is in no log of the site"
fi
ok "the code is in no log of the site"

say "$passed passed, $failed failed"
