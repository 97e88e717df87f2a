#!/usr/bin/env python3
"""nginx -s reload during a stream of send/verify requests: none may fail,
none may hang.

Starts the API stand-in and nginx (master and 2 workers) with the module,
keeps 8 clients sending sends and verifies for a few seconds, reloads nginx
several times meanwhile, then checks every answer.  A send must answer 200
with a request id; a verify of an unknown request must answer the API's
404.  Each request has a 5 s timeout: a request that takes longer "hung".

    scripts/reload-check.py [--seconds 6] [--reloads 4]
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "build", "reload")
PORT = int(os.environ.get("RELOAD_PORT", "18090"))
API_PORT = int(os.environ.get("RELOAD_API_PORT", "19880"))
NGINX = os.environ.get("TEST_NGINX_BINARY", "/usr/sbin/nginx")
KEY = "sm_test_0123456789abcdef"

CONF = """
load_module {root}/build/ngx_http_smotp_module.so;
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log notice;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp;
    proxy_temp_path {dir}/tmp;
    smotp_api_key {key};
    upstream api {{
        server 127.0.0.1:{api_port};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        location /_smotp_api/ {{
            internal;
            proxy_pass http://api/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
        location = /auth/send-otp   {{ smotp_send; }}
        location = /auth/verify-otp {{ smotp_verify; }}
    }}
}}
"""


def request(path, body):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    try:
        conn.request("POST", path, body=json.dumps(body),
                     headers={"Content-Type": "application/json",
                              "Connection": "close"})
        res = conn.getresponse()
        return res.status, res.getheader("Content-Type"), res.read()
    finally:
        conn.close()


def client(n, stop, results):
    i = 0
    while not stop.is_set():
        i += 1
        if i % 2:
            path = "/auth/send-otp"
            body = {"phoneNumber": "+9198%08d" % (n * 100000 + i)}
            want = 200
        else:
            path = "/auth/verify-otp"
            body = {"requestId": "00000000-0000-4000-8000-%012d" % i,
                    "otpCode": "123456"}
            want = 404
        start = time.monotonic()
        try:
            status, ctype, data = request(path, body)
            answer = json.loads(data)
            ok = (status == want and ctype == "application/json"
                  and ("requestId" in answer if want == 200
                       else "error" in answer))
            err = None if ok else "%s %d %s" % (path, status, data[:100])
        except Exception as e:  # a timeout, a reset: a failed request
            err = "%s %s: %s" % (path, type(e).__name__, e)
        results.append((time.monotonic() - start, err))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--reloads", type=int, default=4)
    args = ap.parse_args()

    os.makedirs(os.path.join(DIR, "tmp"), exist_ok=True)
    conf = os.path.join(DIR, "nginx.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(root=ROOT, dir=DIR, key=KEY, port=PORT,
                            api_port=API_PORT))

    standin = os.path.join(ROOT, "scripts", "standin.sh")
    subprocess.run([standin, "stop", DIR], check=True)
    subprocess.run([standin, "start", DIR, str(API_PORT), str(API_PORT + 1),
                    "--quiet", "--api-key", KEY], check=True)

    nginx = [NGINX, "-p", DIR, "-c", conf, "-e", os.path.join(DIR, "error.log")]
    subprocess.run(nginx, check=True)

    results = []
    stop = threading.Event()
    try:
        for _ in range(50):
            try:
                request("/auth/verify-otp", {})
                break
            except OSError:
                time.sleep(0.1)

        threads = [threading.Thread(target=client, args=(n, stop, results))
                   for n in range(8)]
        for t in threads:
            t.start()

        pause = args.seconds / (args.reloads + 1)
        for _ in range(args.reloads):
            time.sleep(pause)
            subprocess.run(nginx + ["-s", "reload"], check=True)
        time.sleep(pause)

        stop.set()
        for t in threads:
            t.join()
    finally:
        stop.set()
        subprocess.run(nginx + ["-s", "quit"])
        time.sleep(0.5)
        subprocess.run([standin, "stop", DIR])

    failed = [e for _, e in results if e]
    slowest = max((d for d, _ in results), default=0)
    print("%d requests across %d reloads of nginx, the slowest %.0f ms"
          % (len(results), args.reloads, slowest * 1000))
    for e in failed[:10]:
        print("  failed:", e)

    with open(os.path.join(DIR, "error.log")) as f:
        bad = [line for line in f if "[alert]" in line or "[crit]" in line
               or "[emerg]" in line]
    for line in bad[:10]:
        print("  log:", line.rstrip())

    print("reload: %d passed, %d failed" % (len(results) - len(failed),
                                          len(failed) + len(bad)))

    if failed or bad or len(results) < 100:
        sys.exit(1)


if __name__ == "__main__":
    main()
