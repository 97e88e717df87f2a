#!/usr/bin/env bash
# make demo: nginx with the module on 127.0.0.1:$DEMO_PORT (8080), in front
# of a small app (demo/app.py) behind smotp_require, of the sign-in page
# (demo/signin/) and of the local API stand-in, which prints each "SMS" it
# would have sent.  Ctrl-C stops them all.
#
#   scripts/demo.sh           the demo, its stand-in's SMS printed below
#   scripts/demo.sh --check   walks the gate and the flow with curl, then stops
#   scripts/demo.sh --serve   the demo, quiet, until SIGTERM (the browser test)
#
# DEMO_PORT, DEMO_API_HTTP_PORT, DEMO_API_PORT, DEMO_APP_PORT choose the
# ports, DEMO_DIR the directory of its files (build/demo), so that a second
# demo (make test's check, the browser test) runs beside a first.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${DEMO_DIR:-$root/build/demo}
port=${DEMO_PORT:-8080}
api_http_port=${DEMO_API_HTTP_PORT:-19860}
api_port=${DEMO_API_PORT:-19861}
app_port=${DEMO_APP_PORT:-19862}
nginx=${NGINX:-/usr/sbin/nginx}
key=sm_demo_0123456789abcdef

mode=${1:-}
case "$mode" in
"" | --check | --serve) ;;
*) echo "usage: $0 [--check | --serve]" >&2; exit 2 ;;
esac

mkdir -p "$dir/tmp"
dir=$(cd "$dir" && pwd)
umask 077
echo "$key" > "$dir/smotp.key"
[ -s "$dir/smotp.secret" ] || openssl rand -hex 32 > "$dir/smotp.secret"
umask 022

sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@API_PORT@|$api_port|g" \
    -e "s|@API_HTTP_PORT@|$api_http_port|g" -e "s|@APP_PORT@|$app_port|g" \
    -e "s|@ROOT@|$root|g" \
    -e "s|@MODULE@|$root/build/ngx_http_smotp_module.so|g" \
    "$root/demo/nginx.conf.in" > "$dir/nginx.conf"

# each one waited for, so that the ports are free when this script ends
# and the next demo may start at once
stop() {
    local pid
    for pid in ${tail_pid:-} ${nginx_pid:-} ${app_pid:-}; do
        kill "$pid" 2> /dev/null || true
    done
    for pid in ${tail_pid:-} ${nginx_pid:-} ${app_pid:-}; do
        wait "$pid" 2> /dev/null || true
    done
    "$root/scripts/standin.sh" stop "$dir"
}
trap stop EXIT
trap 'exit 0' INT TERM

"$root/scripts/standin.sh" stop "$dir"
"$root/scripts/standin.sh" start "$dir" "$api_http_port" "$api_port" \
    --api-key "$key"

python3 "$root/demo/app.py" "$app_port" 2>> "$dir/app.log" &
app_pid=$!

"$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
nginx_pid=$!

# wait_up PORT PID NAME LOG
wait_up() {
    for _ in $(seq 1 100); do
        (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
        kill -0 "$2" 2> /dev/null || break
        sleep 0.1
    done
    echo "demo: $3 did not start:" >&2
    tail -n 20 "$4" >&2
    exit 1
}
wait_up "$port" "$nginx_pid" nginx "$dir/error.log"
wait_up "$app_port" "$app_pid" "the app" "$dir/app.log"

url=http://127.0.0.1:$port
phone=+919876543210

if [ "$mode" = --check ]; then
    fail() { echo "demo: FAILED: $*" >&2; exit 1; }
    jar=$dir/cookies.txt
    rm -f "$jar"

    # the app's page without a proof: sent to the sign-in page
    loc=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$url/app/")
    echo "app:    $loc"
    [ "$loc" = "302 $url/signin/?next=/app/" ] \
        || fail "the gate did not redirect to the sign-in page"
    loc=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$url/")
    [ "$loc" = "302 $url/app/" ] || fail "/ did not lead to the app: $loc"
    for f in "" signin.js signin.css; do
        curl -sSf -o /dev/null "$url/signin/$f" || fail "no /signin/$f"
    done

    sent=$(curl -sS -H 'Content-Type: application/json' \
                -d "{\"phoneNumber\":\"$phone\"}" "$url/auth/send-otp")
    echo "send:   $sent"
    handle=$(echo "$sent" | sed -n 's/.*"requestId":"\([^"]*\)".*/\1/p')
    sms=$(curl -sS "$url/demo/inbox?phone=%2B${phone#+}")
    code=$(echo "$sms" | sed -n 's/.*"code": *"\([0-9]*\)".*/\1/p')
    api_id=$(echo "$sms" | sed -n 's/.*"requestId": *"\([^"]*\)".*/\1/p')
    if [ -z "$handle" ] || [ -z "$code" ] || [ -z "$api_id" ]; then
        fail "no handle or no SMS"
    fi
    # an opaque handle: neither the number nor the API's own id shows
    case "$handle" in
    *"${phone#+}"* | *"$api_id"*) fail "the requestId is not a sealed handle" ;;
    esac

    headers=$dir/verify.headers
    verified=$(curl -sS -D "$headers" -c "$jar" \
                    -H 'Content-Type: application/json' \
                    -d "{\"requestId\":\"$handle\",\"otpCode\":\"$code\"}" \
                    "$url/auth/verify-otp")
    echo "verify: $verified"
    [ "$verified" = '{"verified":true,"phone":"+91******3210"}' ] \
        || fail "not verified"
    grep -i '^set-cookie: smotp=' "$headers" | grep -qi 'httponly' \
        || fail "no HttpOnly cookie set"
    grep -q 'smotp' "$jar" || fail "no cookie"

    # with the cookie the app answers, and names the phone nginx gave it
    # (a forged header of the visitor's own is dropped)
    page=$(curl -sS -b "$jar" -H 'X-Verified-Phone: +10000000000' "$url/app/")
    case "$page" in
    *"<strong id=\"phone\">$phone</strong>"*) echo "app:    signed in as $phone" ;;
    *)
        # what it got instead, and what nginx and the app said
        printf '%s\n' "$page" | head -n 20 >&2
        tail -n 5 "$dir/error.log" "$dir/app.log" >&2 || true
        fail "the app did not get the verified phone"
        ;;
    esac
    case "$page" in
    *10000000000*) fail "the forged X-Verified-Phone reached the app" ;;
    esac

    out=$(curl -sS -D "$headers" -b "$jar" -c "$jar" -X POST "$url/auth/logout")
    echo "logout: $out"
    [ "$out" = '{"loggedOut":true}' ] || fail "no logout"
    grep -i '^set-cookie: smotp=;' "$headers" | grep -qi 'max-age=0' \
        || fail "the logout did not clear the cookie"
    grep -q 'smotp' "$jar" && fail "the cookie is still in the jar"
    loc=$(curl -sS -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
               "$url/app/")
    echo "app:    $loc"
    [ "$loc" = "302 $url/signin/?next=/app/" ] \
        || fail "the app answered $loc after logout"

    echo "demo: ok"
    exit 0
fi

if [ "$mode" = --serve ]; then
    echo "demo: serving on $url/"
    wait "$nginx_pid"
    exit 1
fi

cat << END

  nginx with ngx_http_smotp_module is on $url, in front of a small app
  (demo/app.py) and of the local StartMessaging stand-in (it prints each
  SMS below instead of sending it).

  Open $url/ in a browser: the app sends you to the sign-in page; the
  code appears in its demo inbox panel (and below).

  Or with curl. Send a code:

    curl -s $url/auth/send-otp -H 'Content-Type: application/json' \\
         -d '{"phoneNumber":"$phone"}'

  Verify it, with the requestId (a handle) from the answer and the code
  from the SMS (-c keeps the cookie a right code sets):

    curl -s -c cookies.txt $url/auth/verify-otp \\
         -H 'Content-Type: application/json' \\
         -d '{"requestId":"REQUEST_ID","otpCode":"CODE"}'

  The app, with the cookie:

    curl -s -b cookies.txt $url/app/

  Logs: $dir/error.log
        $dir/access.log
        $dir/app.log
  Ctrl-C stops nginx, the app and the stand-in.

END

tail -n +1 -f "$dir/standin.log" &
tail_pid=$!

wait "$nginx_pid"
