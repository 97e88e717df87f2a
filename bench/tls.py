#!/usr/bin/env python3
"""What an API call costs over TLS with each of the shipped API locations:

  keepalive  conf/api_location.conf, to an upstream with keepalive: the
             TLS connection to the API is kept and reused
  resolver   conf/api_location_resolver.conf: proxy_pass with a variable,
             the name resolved by nginx's resolver; a new connection and a
             full TLS handshake for every call

Both send the same smotp_send calls, through the include files as shipped
(the API's name becomes api.test, its port the local API's, the CA bundle
the test CA: the same changes t/014-includes.t makes), to a local API over
TLS.  The API is an nginx answering canned JSON (BENCH_TLS_API=nginx, the
default: what is measured is the nginx in front) or the suite's Python
stand-in (BENCH_TLS_API=standin: slower, so its own handshakes dominate).
A DNS stub in this script answers api.test with 127.0.0.1.

For each variant, interleaved, BENCH_TLS_REPEATS times: one wrk connection
(the latency of one call, nothing queued) and BENCH_TLS_CONNECTIONS
connections (the throughput); medians are printed, with the worker CPU
time per request of the nginx in front and of the API.  Only 127.0.0.1;
everything it starts it stops.  Settings, from the environment:

  BENCH_TLS_DURATION=5  BENCH_TLS_REPEATS=3  BENCH_TLS_CONNECTIONS=16
  BENCH_TLS_PORT=18200 (uses 18200..18203)  BENCH_TLS_API=nginx
  BENCH_NGINX_CPU=0  BENCH_CLIENT_CPU=1 (the API runs there too)
"""

import datetime
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "build", "bench", "tls")
CERTS = os.path.join(DIR, "certs")
MODULE = os.path.join(ROOT, "build", "ngx_http_smotp_module.so")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
API_KEY = "sm_bench_0123456789abcdef"
BODY = '{"phoneNumber":"+919876543210"}'
VARIANTS = ["keepalive", "resolver"]

DURATION = int(os.environ.get("BENCH_TLS_DURATION", 5))
REPEATS = int(os.environ.get("BENCH_TLS_REPEATS", 3))
CONNECTIONS = int(os.environ.get("BENCH_TLS_CONNECTIONS", 16))
PORT = int(os.environ.get("BENCH_TLS_PORT", 18200))
API = os.environ.get("BENCH_TLS_API", "nginx")
NGINX_CPU = os.environ.get("BENCH_NGINX_CPU", "0")
CLIENT_CPU = os.environ.get("BENCH_CLIENT_CPU", "1")

PORTS = {"keepalive": PORT, "resolver": PORT + 1}
API_PORT, DNS_PORT = PORT + 2, PORT + 3
TICKS = os.sysconf("SC_CLK_TCK")


def dns_stub(sock):
    """A for api.test: 127.0.0.1; AAAA: none; any other name: NXDOMAIN"""
    while True:
        try:
            query, peer = sock.recvfrom(512)
        except OSError:
            return
        if len(query) < 17:
            continue
        qid, flags = struct.unpack("!HH", query[:4])
        pos, labels = 12, []
        while pos < len(query) and query[pos]:
            labels.append(query[pos + 1:pos + 1 + query[pos]].decode().lower())
            pos += 1 + query[pos]
        qtype = struct.unpack("!H", query[pos + 1:pos + 3])[0]
        question = query[12:pos + 5]
        known = ".".join(labels) == "api.test"
        answer = b""
        if known and qtype == 1:
            answer = struct.pack("!HHHIH", 0xc00c, 1, 1, 300, 4) \
                + socket.inet_aton("127.0.0.1")
        sock.sendto(struct.pack("!HHHHHH", qid,
                                0x8080 | (flags & 0x0100) | (0 if known else 3),
                                1, 1 if answer else 0, 0, 0)
                    + question + answer, peer)


def shipped(name, server):
    with open(os.path.join(ROOT, "conf", name)) as f:
        text = f.read()
    text = re.sub(r"(?m)^[ \t]*#.*\n", "", text)
    text = text.replace("/etc/ssl/certs/ca-certificates.crt",
                        os.path.join(CERTS, "ca.crt"))
    text = text.replace("api.startmessaging.com:443", server)
    return text.replace("api.startmessaging.com", "api.test")


def front_conf():
    api = "127.0.0.1:%d" % API_PORT
    return """
load_module %(module)s;
daemon off;
master_process off;
pid %(dir)s/front.pid;
error_log %(dir)s/front-error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path %(dir)s/tmp;
    proxy_temp_path %(dir)s/tmp;
    smotp_api_key %(key)s;
    resolver 127.0.0.1:%(dns)d;
    resolver_timeout 2s;

    upstream smotp_api {
        server %(api)s;
        keepalive 16;
        keepalive_timeout 60s;
    }

    server {
        listen 127.0.0.1:%(p1)d;
%(keepalive)s
        location = /auth/send-otp { smotp_send; }
    }

    server {
        listen 127.0.0.1:%(p2)d;
%(resolver)s
        location = /auth/send-otp { smotp_send; }
    }
}
""" % {"module": MODULE, "dir": DIR, "key": API_KEY, "dns": DNS_PORT,
       "api": api, "p1": PORTS["keepalive"], "p2": PORTS["resolver"],
       "keepalive": shipped("api_location.conf", api),
       "resolver": shipped("api_location_resolver.conf",
                           "api.test:%d" % API_PORT)}


def api_conf():
    return """
daemon off;
master_process off;
pid %(dir)s/api.pid;
error_log %(dir)s/api-error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path %(dir)s/tmp;
    server {
        listen 127.0.0.1:%(port)d ssl backlog=4096;
        ssl_certificate %(certs)s/server.crt;
        ssl_certificate_key %(certs)s/server.key;
        default_type application/json;
        if ($http_x_api_key != "%(key)s") {
            return 401 '{"success":false,"statusCode":401,"message":"Invalid API key"}';
        }
        location = /otp/send {
            return 201 '{"success":true,"statusCode":201,"data":{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","expiresAt":"2026-01-01T00:00:00.000Z","attemptsLeft":3}}';
        }
        location / {
            return 404 '{"success":false,"statusCode":404,"message":"not found"}';
        }
    }
}
""" % {"dir": DIR, "port": API_PORT, "certs": CERTS, "key": API_KEY}


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_port(port):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("bench: nothing listens on port %d" % port)


def start(conf_name, text, cpu):
    path = os.path.join(DIR, conf_name)
    with open(path, "w") as f:
        f.write(text)
    return subprocess.Popen(["taskset", "-c", cpu, NGINX, "-p", DIR,
                             "-c", path, "-e", os.path.join(DIR, "startup.log")])


def send_once(variant):
    req = urllib.request.Request(
        "http://127.0.0.1:%d/auth/send-otp" % PORTS[variant],
        data=BODY.encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as res:
        body = res.read().decode()
    if res.status != 200 or '"requestId"' not in body:
        sys.exit("bench: %s: %d %s" % (variant, res.status, body))


def wrk(variant, connections, pids):
    before = [cpu_seconds(p) for p in pids]
    out = subprocess.run(
        ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c%d" % connections,
         "-d%ds" % DURATION, "--latency", "-s",
         os.path.join(ROOT, "bench", "wrk", "post.lua"),
         "http://127.0.0.1:%d/auth/send-otp" % PORTS[variant]],
        env=dict(os.environ, BENCH_BODY=BODY), check=True,
        capture_output=True, text=True).stdout
    after = [cpu_seconds(p) for p in pids]

    with open(os.path.join(DIR, "wrk-%s-c%d.txt" % (variant, connections)),
              "a") as f:
        f.write(out)

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    if re.search(r"Non-2xx or 3xx responses", out) or requests == 0:
        sys.exit("bench: %s: failed requests\n%s" % (variant, out))

    def ms(label):
        v, unit = re.search(r"%s\s+([\d.]+)(us|ms|s)" % label, out).groups()
        return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {"rps": requests / DURATION, "p50": ms("50%"), "p99": ms("99%"),
            "front_us": (after[0] - before[0]) / requests * 1e6,
            "api_us": (after[1] - before[1]) / requests * 1e6
            if len(pids) > 1 else None}


def main():
    if not os.path.exists(MODULE):
        sys.exit("bench: build/ngx_http_smotp_module.so is missing: run make")

    shutil.rmtree(DIR, ignore_errors=True)
    os.makedirs(os.path.join(DIR, "tmp"))
    subprocess.run([os.path.join(ROOT, "t", "standin", "make-certs.sh"),
                    CERTS], check=True)

    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", DNS_PORT))
    threading.Thread(target=dns_stub, args=(dns,), daemon=True).start()

    procs = []
    try:
        if API == "standin":
            api = subprocess.Popen(
                ["taskset", "-c", CLIENT_CPU, sys.executable,
                 os.path.join(ROOT, "t", "standin", "smotp_standin.py"),
                 "--tls-port", str(API_PORT), "--quiet",
                 "--cert", os.path.join(CERTS, "server.crt"),
                 "--key", os.path.join(CERTS, "server.key"),
                 "--api-key", API_KEY])
        else:
            api = start("api.conf", api_conf(), CLIENT_CPU)
        procs.append(api)
        wait_port(API_PORT)

        front = start("front.conf", front_conf(), NGINX_CPU)
        procs.append(front)
        for v in VARIANTS:
            wait_port(PORTS[v])
            send_once(v)

        pids = [front.pid, api.pid]
        results = {(v, c): [] for v in VARIANTS for c in (1, CONNECTIONS)}

        for v in VARIANTS:
            wrk(v, CONNECTIONS, pids)          # warm-up, not counted

        for _ in range(REPEATS):
            for c in (1, CONNECTIONS):
                for v in VARIANTS:
                    results[(v, c)].append(wrk(v, c, pids))

        report(results)

    finally:
        for p in reversed(procs):
            # nginx stops on QUIT, the stand-in on TERM
            p.send_signal(signal.SIGTERM if p.args[3] == sys.executable
                          else signal.SIGQUIT)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        dns.close()


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return "%s, %d CPUs" % (line.split(":", 1)[1].strip(),
                                        os.cpu_count())
    return platform.machine()


def report(results):
    def med(v, c, key):
        return statistics.median(r[key] for r in results[(v, c)])

    lines = [
        "TLS to the API, %s, nginx %s, %s; API: %s; %d s runs, median of %d"
        % (datetime.date.today().isoformat(),
           subprocess.run([NGINX, "-v"], capture_output=True,
                          text=True).stderr.strip().split("/")[-1],
           cpu_model(), API, DURATION,
           REPEATS),
        "",
        "| API location | 1 connection: req/s | p50 ms | p99 ms "
        "| %d connections: req/s | p50 ms | p99 ms "
        "| worker CPU/req (front) | API CPU/req |" % CONNECTIONS,
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for v in VARIANTS:
        lines.append(
            "| %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.0f µs | %.0f µs |"
            % (v, med(v, 1, "rps"), med(v, 1, "p50"), med(v, 1, "p99"),
               med(v, CONNECTIONS, "rps"), med(v, CONNECTIONS, "p50"),
               med(v, CONNECTIONS, "p99"), med(v, CONNECTIONS, "front_us"),
               med(v, CONNECTIONS, "api_us")))

    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(DIR, "results.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
