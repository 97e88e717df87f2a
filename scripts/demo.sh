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
nginx=${NGINX:-/usr/sbin/nginx}
key=sm_demo_0123456789abcdef

check=
[ "${1:-}" = --check ] && check=1

mkdir -p "$dir/tmp"
umask 077
echo "$key" > "$dir/smotp.key"
umask 022

sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@API_PORT@|$api_port|g" \
    -e "s|@MODULE@|$root/build/ngx_http_smotp_module.so|g" \
    "$root/demo/nginx.conf.in" > "$dir/nginx.conf"

"$root/scripts/standin.sh" stop "$dir"
"$root/scripts/standin.sh" start "$dir" "$api_http_port" "$api_port" \
    --api-key "$key"

stop() {
    [ -n "${nginx_pid:-}" ] && kill "$nginx_pid" 2> /dev/null || true
    [ -n "${tail_pid:-}" ] && kill "$tail_pid" 2> /dev/null || true
    "$root/scripts/standin.sh" stop "$dir"
}
trap stop EXIT
trap 'exit 0' INT TERM

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
    sent=$(curl -sS -H 'Content-Type: application/json' \
                -d "{\"phoneNumber\":\"$phone\"}" "$url/auth/send-otp")
    echo "send:   $sent"
    sms=$(curl -sS "http://127.0.0.1:$api_http_port/_test/inbox?phone=%2B${phone#+}")
    id=$(echo "$sms" | sed -n 's/.*"requestId": *"\([^"]*\)".*/\1/p')
    code=$(echo "$sms" | sed -n 's/.*"code": *"\([0-9]*\)".*/\1/p')
    verified=$(curl -sS -H 'Content-Type: application/json' \
                    -d "{\"requestId\":\"$id\",\"otpCode\":\"$code\"}" \
                    "$url/auth/verify-otp")
    echo "verify: $verified"
    case "$sent$verified" in
    *'"requestId":"'"$id"'"'*'{"verified":true}') echo "demo: ok" ;;
    *) echo "demo: FAILED" >&2; exit 1 ;;
    esac
    exit 0
fi

cat << END

  nginx with ngx_http_smotp_module is on $url, in front of the local
  StartMessaging stand-in (it prints each SMS below instead of sending it).

  Send a code:

    curl -s $url/auth/send-otp -H 'Content-Type: application/json' \\
         -d '{"phoneNumber":"$phone"}'

  Verify it, with the requestId from the answer and the code from the SMS:

    curl -s $url/auth/verify-otp -H 'Content-Type: application/json' \\
         -d '{"requestId":"REQUEST_ID","otpCode":"CODE"}'

  Logs: $dir/error.log
        $dir/access.log
  Ctrl-C stops nginx and the stand-in.

END

tail -n +1 -f "$dir/standin.log" &
tail_pid=$!

wait "$nginx_pid"
