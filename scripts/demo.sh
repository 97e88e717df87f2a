#!/usr/bin/env bash
# make demo: nginx with the module on 127.0.0.1:$DEMO_PORT (8080), in front
# of the local API stand-in, which prints each "SMS" it would have sent.
# Ctrl-C stops both.
#
#   scripts/demo.sh --check   runs the send/verify flow with curl, then stops
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/build/demo
port=${DEMO_PORT:-8080}
api_http_port=${DEMO_API_HTTP_PORT:-19860}
api_port=${DEMO_API_PORT:-19861}
app_port=${DEMO_APP_PORT:-19862}
nginx=${NGINX:-/usr/sbin/nginx}
key=sm_demo_0123456789abcdef

check=
[ "${1:-}" = --check ] && check=1

mkdir -p "$dir/tmp"
umask 077
echo "$key" > "$dir/smotp.key"
[ -s "$dir/smotp.secret" ] || openssl rand -hex 32 > "$dir/smotp.secret"
umask 022

sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@API_PORT@|$api_port|g" \
    -e "s|@API_HTTP_PORT@|$api_http_port|g" -e "s|@APP_PORT@|$app_port|g" \
    -e "s|@ROOT@|$root|g" \
    -e "s|@MODULE@|$root/build/ngx_http_smotp_module.so|g" \
    "$root/demo/nginx.conf.in" > "$dir/nginx.conf"

"$root/scripts/standin.sh" stop "$dir"
"$root/scripts/standin.sh" start "$dir" "$api_http_port" "$api_port" \
    --api-key "$key"

stop() {
    [ -n "${nginx_pid:-}" ] && kill "$nginx_pid" 2> /dev/null || true
    [ -n "${app_pid:-}" ] && kill "$app_pid" 2> /dev/null || true
    [ -n "${tail_pid:-}" ] && kill "$tail_pid" 2> /dev/null || true
    "$root/scripts/standin.sh" stop "$dir"
}
trap stop EXIT
trap 'exit 0' INT TERM

python3 "$root/demo/app.py" "$app_port" 2>> "$dir/app.log" &
app_pid=$!

"$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
nginx_pid=$!

for _ in $(seq 1 50); do
    (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && break
    kill -0 "$nginx_pid" 2> /dev/null || { cat "$dir/error.log" >&2; exit 1; }
    sleep 0.1
done

url=http://127.0.0.1:$port
phone=+919876543210

if [ -n "$check" ]; then
    fail() { echo "demo: FAILED: $*" >&2; exit 1; }
    jar=$dir/cookies.txt
    rm -f "$jar"

    # the app's page without a proof: sent to the sign-in page
    loc=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$url/app/")
    echo "app:    $loc"
    case "$loc" in
    "302 $url/signin/?next=/app/") ;;
    *) fail "the gate did not redirect to the sign-in page" ;;
    esac
    curl -sSf -o /dev/null "$url/signin/" || fail "no sign-in page"

    sent=$(curl -sS -H 'Content-Type: application/json' \
                -d "{\"phoneNumber\":\"$phone\"}" "$url/auth/send-otp")
    echo "send:   $sent"
    handle=$(echo "$sent" | sed -n 's/.*"requestId":"\([^"]*\)".*/\1/p')
    sms=$(curl -sS "$url/demo/inbox?phone=%2B${phone#+}")
    code=$(echo "$sms" | sed -n 's/.*"code": *"\([0-9]*\)".*/\1/p')
    if [ -z "$handle" ] || [ -z "$code" ]; then fail "no handle or no SMS"; fi

    verified=$(curl -sS -c "$jar" -H 'Content-Type: application/json' \
                    -d "{\"requestId\":\"$handle\",\"otpCode\":\"$code\"}" \
                    "$url/auth/verify-otp")
    echo "verify: $verified"
    [ "$verified" = '{"verified":true,"phone":"+91******3210"}' ] \
        || fail "not verified"
    grep -q 'smotp' "$jar" || fail "no cookie"

    # with the cookie the app answers, and names the phone nginx gave it
    # (a forged header of the visitor's own is dropped)
    page=$(curl -sS -b "$jar" -H 'X-Verified-Phone: +10000000000' "$url/app/")
    case "$page" in
    *"<strong id=\"phone\">$phone</strong>"*) echo "app:    signed in as $phone" ;;
    *) fail "the app did not get the verified phone" ;;
    esac

    out=$(curl -sS -b "$jar" -c "$jar" -X POST "$url/auth/logout")
    echo "logout: $out"
    [ "$out" = '{"loggedOut":true}' ] || fail "no logout"
    code=$(curl -sS -b "$jar" -o /dev/null -w '%{http_code}' "$url/app/")
    [ "$code" = 302 ] || fail "the app answered $code after logout"

    echo "demo: ok"
    exit 0
fi

cat << END

  nginx with ngx_http_smotp_module is on $url, in front of the local
  StartMessaging stand-in (it prints each SMS below instead of sending it).

  Open $url/ in a browser: the app sends you to the sign-in page; the
  code appears in its demo inbox panel (and below).

  Or with curl. Send a code:

    curl -s $url/auth/send-otp -H 'Content-Type: application/json' \\
         -d '{"phoneNumber":"$phone"}'

  Verify it, with the requestId (a handle) from the answer and the code
  from the SMS:

    curl -s $url/auth/verify-otp -H 'Content-Type: application/json' \\
         -d '{"requestId":"REQUEST_ID","otpCode":"CODE"}'

  Logs: $dir/error.log
        $dir/access.log
  Ctrl-C stops nginx and the stand-in.

END

tail -n +1 -f "$dir/standin.log" &
tail_pid=$!

wait "$nginx_pid"
