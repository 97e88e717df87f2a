#!/usr/bin/env python3
"""The benchmark behind `make bench` (bench/run.sh installs what it needs
first).  Side by side, in one run, against the same local API stand-in:

  plain   proxy_pass of the client's POST to the API, no checks (the floor)
  lua     the same logic in Lua (bench/lua/smotp_lua.lua)
  smotp   the module's smotp_send and smotp_verify
  limits  the same with the abuse limits (smotp_zone, smotp_limit,
          smotp_verify_attempts), none of which refuses: what the checks
          cost (throughput and instructions only)

and, for the gate (issue 10), a GET of a canned app's page through a
keepalive proxy_pass: ungated, gated by smotp_require with a valid
cookie, and behind auth_request to a canned session check

and prints one report (also written to build/bench/results.md):
throughput and latency, in-flight capacity against a slow API, worker
memory, instructions per request (callgrind) and a CPU profile (perf).

Everything it starts it stops; it listens on BENCH_PORT .. BENCH_PORT+3
on 127.0.0.1 only.  Settings, from the environment:

  BENCH_DURATION=5         seconds of each measured wrk run
  BENCH_REPEATS=7          runs of each variant, interleaved; medians quoted
  BENCH_WARMUP=2           seconds of warm-up per variant, not measured
  BENCH_CONNECTIONS=50     wrk connections for the throughput runs
  BENCH_INFLIGHT=1000      connections for the in-flight runs
  BENCH_DELAY=0.2          the slow API's delay, seconds
  BENCH_INFLIGHT_DURATION=15
  BENCH_LONG_REQUESTS=300000   requests of the memory run (1000000 for the
                               issue's million)
  BENCH_MEMORY_VARIANT=smotp   the variant the memory run sends to (plain
                               or lua: the same run for comparison)
  BENCH_CALLGRIND_REQUESTS=2000  requests per variant under callgrind
                                 (0: skip)
  BENCH_PERF_SECONDS=5     seconds of perf record per profiled variant
                           (0: skip)
  BENCH_SYSCALL_REQUESTS=20000   requests per variant under perf trace
  BENCH_STRAY=0.05, BENCH_RETRIES=2   a throughput run during which other
                           processes used more than 5% of a CPU is run
                           again (after waiting for quiet), twice at most
  BENCH_PHONES=36000       different phone numbers (and verify request
                           ids) sent in turn, by every variant: the limits'
                           zone holds one entry per phone and limit
  BENCH_CALLGRIND_PHONES=30000   the phones sent to the limits once before
                           the instruction counts (the zone's tree filled);
                           the counts then take the first 2,000 again
                           (found) and 2,000 new ones (made)
  BENCH_CALLGRIND_ARGS=    more valgrind options, e.g. "--cache-sim=yes"
                           (the misses are in the dumps; Ir stays the first
                           event, which the report uses)
  BENCH_SECTIONS=throughput,gate,inflight,memory,callgrind,perf
  BENCH_PORT=18100
  BENCH_NGINX_CPU=0, BENCH_CLIENT_CPU=1   the CPUs to pin to
"""

import collections
import datetime
import hashlib
import http.client
import itertools
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
DIR = os.path.join(ROOT, "build", "bench")
MODULE = os.path.join(ROOT, "build", "ngx_http_smotp_module.so")
# nginx maps the module: a rebuild during the run must not touch the copy
# it loads
MODULE_COPY = os.path.join(DIR, "ngx_http_smotp_module.so")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

API_KEY = "sm_bench_0123456789abcdef"

BODIES = {
    "send": '{"phoneNumber":"+919876543210"}',
    "verify": '{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b",'
              '"otpCode":"123456"}',
}

# what wrk sends: a different phone (a different request id) in turn,
# BENCH_PHONES of them (bench/wrk/post.lua); BODIES are the checks' own
TEMPLATES = {
    "send": '{"phoneNumber":"+9198%08d"}',
    "verify": '{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-%012x",'
              '"otpCode":"123456"}',
}

VARIANTS = ["plain", "lua", "smotp", "limits"]
# the in-flight runs leave the limits out: what they cost is measured by
# the throughput runs and the instruction counts
INFLIGHT_VARIANTS = ["plain", "lua", "smotp"]
ENDPOINTS = ["send", "verify"]
NAMES = {"plain": "plain proxy_pass", "lua": "Lua (content_by_lua)",
         "smotp": "smotp module", "limits": "smotp with limits",
         "fleet": "smotp with the limits in Redis",
         "limits-new": "smotp with limits, new phones",
         "open": "proxy_pass, no gate", "gated": "smotp_require, a cookie",
         "authreq": "auth_request to a session check"}

# the gate's rows: bench.conf's /gate/ locations, each a GET with the
# cookie (bench.py gets one before measuring)
GATE_VARIANTS = ["open", "gated", "authreq"]
PHONE = "+919876543210"


def env(name, default, kind=int):
    return kind(os.environ.get(name, default))


DURATION = env("BENCH_DURATION", 5)
REPEATS = env("BENCH_REPEATS", 7)
WARMUP = env("BENCH_WARMUP", 2)
CONNECTIONS = env("BENCH_CONNECTIONS", 50)
INFLIGHT = env("BENCH_INFLIGHT", 1000)
DELAY = env("BENCH_DELAY", 0.2, float)
INFLIGHT_DURATION = env("BENCH_INFLIGHT_DURATION", 15)
LONG_REQUESTS = env("BENCH_LONG_REQUESTS", 300000)
MEMORY_VARIANT = env("BENCH_MEMORY_VARIANT", "smotp", str)
if MEMORY_VARIANT not in VARIANTS:
    sys.exit("bench: BENCH_MEMORY_VARIANT must be one of %s"
             % ", ".join(VARIANTS))
CG_REQUESTS = env("BENCH_CALLGRIND_REQUESTS", 2000)
CG_ARGS = os.environ.get("BENCH_CALLGRIND_ARGS", "").split()
PHONES = env("BENCH_PHONES", 36000)
CG_PHONES = env("BENCH_CALLGRIND_PHONES", 30000)
PERF_SECONDS = env("BENCH_PERF_SECONDS", 5)
SYSCALL_REQUESTS = env("BENCH_SYSCALL_REQUESTS", 20000)
# a throughput run during which other processes took more than STRAY of
# a CPU is run again, up to RETRIES times, after waiting for quiet
STRAY = env("BENCH_STRAY", 0.05, float)
RETRIES = env("BENCH_RETRIES", 2)
SECTIONS = os.environ.get("BENCH_SECTIONS",
                          "throughput,gate,fleet,inflight,memory,callgrind,"
                          "perf"
                          ).split(",")
PORT = env("BENCH_PORT", 18100)
API_PORT = PORT + 1
SLOW_PORT = PORT + 2
APP_PORT = PORT + 3
REDIS_PORT = PORT + 4
NCPU = os.cpu_count() or 1
NGINX_CPU = env("BENCH_NGINX_CPU", 0)
CLIENT_CPU = env("BENCH_CLIENT_CPU", 1 if NCPU > 1 else 0)

started = []        # every process this script started, to stop at exit
report = []         # the lines of the report


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def out(line=""):
    report.append(line)


# --- processes ---------------------------------------------------------

def cpu_mask(cpu):
    return "1" + "0" * cpu


def pinned(cpu, argv):
    if NCPU > 1 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu)] + argv
    return argv


def start(argv, log, **kw):
    f = open(os.path.join(DIR, log), "ab")
    p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, **kw)
    started.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=20):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in started:
        started.remove(p)


def stop_all():
    for p in list(reversed(started)):
        stop(p)


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port, p, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if p.poll() is not None:
            raise SystemExit("bench: a server exited at start (see %s)" % DIR)
        if port_open(port):
            return
        time.sleep(0.05)
    raise SystemExit("bench: nothing listens on port %d" % port)


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def worker_of(master):
    for _ in range(100):
        c = children(master.pid)
        if c:
            return c[0]
        time.sleep(0.05)
    raise SystemExit("bench: nginx started no worker")


def cpu_ns(pid):
    """time on CPU, user and kernel, in nanoseconds"""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0])


def user_sys_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def rss_kib(pid):
    v = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, rest = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                v[k] = int(rest.split()[0])
    return v["VmRSS"], v["RssAnon"]


def cpu_sample():
    """all CPUs: (total, idle) in ticks"""
    with open("/proc/stat") as f:
        x = [int(n) for n in f.readline().split()[1:]]
    return sum(x), x[3] + x[4]


def busy_seconds(a, b):
    """CPU-seconds busy, all CPUs, between two cpu_sample()s"""
    return ((b[0] - a[0]) - (b[1] - a[1])) / os.sysconf("SC_CLK_TCK")


def machine_busy(seconds=1.0):
    a = cpu_sample()
    time.sleep(seconds)
    b = cpu_sample()
    return 1 - (b[1] - a[1]) / max(1, b[0] - a[0])


# --- configuration -------------------------------------------------------

def render(name, dest, values):
    with open(os.path.join(BENCH, "conf", name)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, str(v))
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise SystemExit("bench: %s: unset %s" % (name, left))
    path = os.path.join(DIR, dest)
    with open(path, "w") as f:
        f.write(text)
    return path


def start_api():
    conf = render("api.conf", "api.conf", {
        "DIR": DIR, "API_PORT": API_PORT, "API_KEY": API_KEY,
        "APP_PORT": APP_PORT,
        "API_CPU_MASK": cpu_mask(CLIENT_CPU)})
    p = start(pinned(CLIENT_CPU, [NGINX, "-p", DIR, "-c", conf,
                                  "-e", os.path.join(DIR, "api-error.log")]),
              "api.out")
    wait_port(API_PORT, p)
    return p


def start_slow_api():
    p = start(pinned(CLIENT_CPU, [sys.executable,
                                  os.path.join(BENCH, "slow_api.py"),
                                  "--port", str(SLOW_PORT),
                                  "--delay", str(DELAY)]),
              "slow-api.out")
    wait_port(SLOW_PORT, p)
    return p


def start_bench(upstream_port, master="on", wrap=None, name="bench",
                access_log="off"):
    conf = render("bench.conf", name + ".conf", {
        "ACCESS_LOG": access_log,
        "DIR": DIR, "PORT": PORT, "UPSTREAM_PORT": upstream_port,
        "APP_PORT": APP_PORT,
        "API_KEY": API_KEY, "BENCH": BENCH, "MODULE": MODULE_COPY,
        "MASTER": master, "CPU_MASK": cpu_mask(NGINX_CPU)})
    argv = [NGINX, "-p", DIR, "-c", conf,
            "-e", os.path.join(DIR, "bench-error.log")]
    p = start(pinned(NGINX_CPU, (wrap or []) + argv), name + ".out")
    wait_port(PORT, p, 120 if wrap else 30)
    return p


# --- requests ------------------------------------------------------------

def post(variant, endpoint):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    c.request("POST", "/%s/%s" % (variant, endpoint), BODIES[endpoint],
              {"Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


# the cookie of the gate's rows, got by get_cookie() from each nginx started
COOKIE = [""]


def get_cookie():
    """a send and a verify through /gate/ (the canned API proves any
    code): the handle, then the cookie every gate row sends; and each row
    answers what it must, the gated one refusing a request without it"""
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    c.request("POST", "/gate/send", json.dumps({"phoneNumber": PHONE}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    handle = json.loads(r.read())["requestId"]
    c.request("POST", "/gate/verify",
              json.dumps({"requestId": handle, "otpCode": "123456"}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
    if r.status != 200 or not cookie.startswith("smotp="):
        raise SystemExit("bench: /gate/verify set no cookie (%d)" % r.status)
    COOKIE[0] = cookie

    want = dict.fromkeys(GATE_VARIANTS, "phone=%s\n" % PHONE)
    for v in GATE_VARIANTS:
        c.request("GET", "/gate/" + v, headers={"Cookie": cookie})
        r = c.getresponse()
        body = r.read().decode()
        if r.status != 200 or body != want[v]:
            raise SystemExit("bench: /gate/%s answered %d %r, not %r"
                             % (v, r.status, body, want[v]))
    c.request("GET", "/gate/gated")
    r = c.getresponse()
    r.read()
    if r.status != 401:
        raise SystemExit("bench: /gate/gated let a request without the "
                         "cookie through (%d)" % r.status)
    c.close()


def check_answers():
    """each variant must answer what it is meant to, before it is timed"""
    for v in VARIANTS:
        for e in ENDPOINTS:
            status, body = post(v, e)
            try:
                j = json.loads(body)
            except ValueError:
                j = {}
            if v == "plain":
                ok = status in (200, 201) and j.get("success") is True
            elif e == "send":
                # the module, with or without the limits
                ok = status == 200 and len(j.get("requestId", "")) == 36
            else:
                ok = status == 200 and j.get("verified") is True
            if not ok:
                raise SystemExit("bench: %s %s answered %d %r (see %s)"
                                 % (v, e, status, body, os.path.join(
                                     DIR, "bench-error.log")))


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(text):
    r = {"rps": 0.0, "requests": 0, "errors": 0, "non2xx": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    if m:
        r["requests"] = int(m.group(1))
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % pct, text, re.M)
        r["p" + pct] = float(m.group(1)) * UNITS[m.group(2)] if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", text)
    if m:
        r["errors"] = sum(int(x) for x in m.groups())
    return r


def wrk(variant, endpoint, connections, seconds, worker=None, others=(),
        stop_after=None, label=None, during=None, vary=None, vary_from=0):
    """one wrk run on the client CPU; with worker, the worker's CPU time
    per request, and the CPU time of the processes in others; vary
    different phones (request ids) in turn, from vary_from (PHONES).  An
    endpoint of None is a gate's row: a GET of /gate/VARIANT with the
    cookie"""
    if endpoint is None:
        return wrk_get(variant, connections, seconds, worker, others,
                       stop_after, label, during)
    env_ = dict(os.environ, BENCH_BODY=TEMPLATES[endpoint],
                BENCH_VARY=str(vary or PHONES), BENCH_VARY_FROM=str(vary_from))
    done_file = os.path.join(DIR, "wrk-done")
    if stop_after:
        env_["BENCH_STOP_AFTER"] = str(stop_after)
        env_["BENCH_DONE_FILE"] = done_file
        if os.path.exists(done_file):
            os.unlink(done_file)
        during = stop_when_done
    argv = pinned(CLIENT_CPU, [
        "wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency",
        "--timeout", "10s", "-s", os.path.join(BENCH, "wrk", "post.lua"),
        "http://127.0.0.1:%d/%s/%s" % (PORT, variant, endpoint)])
    return wrk_run(argv, env_, worker, others, label, during)


def wrk_get(variant, connections, seconds, worker, others, stop_after,
            label, during):
    env_ = dict(os.environ, BENCH_COOKIE=COOKIE[0])
    done_file = os.path.join(DIR, "wrk-done")
    if stop_after:
        env_["BENCH_STOP_AFTER"] = str(stop_after)
        env_["BENCH_DONE_FILE"] = done_file
        if os.path.exists(done_file):
            os.unlink(done_file)
        during = stop_when_done
    argv = pinned(CLIENT_CPU, [
        "wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency",
        "--timeout", "10s", "-s", os.path.join(BENCH, "wrk", "get.lua"),
        "http://127.0.0.1:%d/gate/%s" % (PORT, variant)])
    return wrk_run(argv, env_, worker, others, label, during)


def wrk_run(argv, env_, worker, others, label, during):
    before = cpu_ns(worker) if worker else 0
    ticks = user_sys_ticks(worker) if worker else (0, 0)
    obefore = [cpu_ns(p) for p in others]
    cpu0 = cpu_sample()
    t0 = time.time()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env_, text=True)
    started.append(p)
    samples = during(p) if during else None
    text, _ = p.communicate()
    started.remove(p)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.time() - t0
    busy = busy_seconds(cpu0, cpu_sample())

    r = parse_wrk(text)
    r["wall"] = wall
    r["samples"] = samples
    if worker:
        r["worker_ns"] = cpu_ns(worker) - before
        r["worker_us_per_req"] = (r["worker_ns"] / 1e3 / r["requests"]
                                  if r["requests"] else None)
        r["worker_util"] = r["worker_ns"] / 1e9 / wall
        u, k = user_sys_ticks(worker)
        u, k = u - ticks[0], k - ticks[1]
        r["worker_user_share"] = u / (u + k) if u + k else None
    r["others_util"] = [(cpu_ns(p) - b) / 1e9 / wall
                        for p, b in zip(others, obefore)]
    r["rusage"] = ru
    r["busy"] = busy / wall

    if label:
        with open(os.path.join(DIR, "raw", label + ".txt"), "w") as f:
            f.write(" ".join(argv) + "\n\n" + text)
    return r


def stop_when_done(p):
    """wrk -s post.lua with BENCH_STOP_AFTER: its thread has stopped when
    the done file appears; SIGINT then ends the main thread's sleep"""
    done_file = os.path.join(DIR, "wrk-done")
    while p.poll() is None:
        if os.path.exists(done_file):
            p.send_signal(signal.SIGINT)
            try:
                p.wait(0.2)
            except subprocess.TimeoutExpired:
                pass
        else:
            time.sleep(0.01)
    return None


def wrk_cpu_util(before, after, wall):
    return ((after.ru_utime + after.ru_stime)
            - (before.ru_utime + before.ru_stime)) / wall


# --- sections ------------------------------------------------------------

def fmt_ms(v):
    return "-" if v is None else ("%.2f ms" % v if v < 100 else "%.0f ms" % v)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def round_order(rep, variants):
    """the order of round rep's runs: each permutation of the variants in
    turn, so that over six rounds (of three) each variant runs in each
    place twice and after each other variant as often as before it: a
    machine that slows or speeds up within a round favours none"""
    perms = list(itertools.permutations(variants))
    return list(perms[rep % len(perms)])


def wait_quiet(limit=120):
    """wait, up to limit seconds, until nothing else uses the CPUs"""
    deadline = time.time() + limit
    while time.time() < deadline:
        if machine_busy(1.0) < STRAY:
            return True
    return False


def throughput(api):
    say("bench: throughput, %d x %d s per variant, %d connections"
        % (REPEATS, DURATION, CONNECTIONS))
    nginx = start_bench(API_PORT)
    worker = worker_of(nginx)
    apiw = worker_of(api)
    check_answers()

    runs = collections.defaultdict(list)
    combos = [(v, e) for e in ENDPOINTS for v in VARIANTS]

    for v, e in combos:
        wrk(v, e, CONNECTIONS, WARMUP)

    # the limits' zone filled: an entry for every phone, so that the
    # measured sends find theirs in a tree of some 72,000
    wrk("limits", "send", CONNECTIONS, 600, stop_after=PHONES)

    for rep in range(REPEATS):
        # plain, the module and the module with limits back to back, so
        # that each round's ratios compare runs seconds apart; the trio's
        # order one of its six in turn (round_order()), so that no variant
        # always runs first, in the middle or last
        order = []
        for e in (ENDPOINTS if rep % 2 == 0 else ENDPOINTS[::-1]):
            order += round_order(rep, [("plain", e), ("smotp", e),
                                       ("limits", e)])
            order += [(v, e) for v in VARIANTS
                      if v not in ("plain", "smotp", "limits")]
        for v, e in order:
            for attempt in range(1 + RETRIES):
                wait_quiet()
                ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                r = wrk(v, e, CONNECTIONS, DURATION, worker, [apiw],
                        label="throughput-%s-%s-%d" % (v, e, rep + 1))
                r["wrk_util"] = wrk_cpu_util(ru0, r["rusage"], r["wall"])
                # what ran besides the worker, the API and wrk, in CPUs
                r["stray"] = max(0.0, r["busy"] - r["worker_util"]
                                 - r["others_util"][0] - r["wrk_util"])
                say("  %-6s %-6s run %d: %6.0f req/s  p99 %s  worker %.0f%% "
                    "%.1f µs/req  other processes %.0f%%%s"
                    % (v, e, rep + 1, r["rps"], fmt_ms(r["p99"]),
                       100 * r["worker_util"], r["worker_us_per_req"],
                       100 * r["stray"], "  (disturbed, again)"
                       if r["stray"] > STRAY and attempt < RETRIES else ""))
                if r["stray"] <= STRAY:
                    break
            runs[v, e].append(r)

    stop(nginx)

    out("## Throughput and latency")
    out()
    out("Fast API stand-in (nginx `return`, keepalive upstream), wrk -t1 "
        "-c%d, %d runs of %d s per variant, interleaved (each round's "
        "plain, module and module with limits in the next of their six "
        "orders); medians. "
        "\"× plain, by round\" is the median of each round's ratio to "
        "plain's run of the same round, which the VM's drift from minute "
        "to minute moves less; the targets are judged on it. "
        "\"worker CPU\" is the nginx worker's CPU time (user + kernel) per "
        "request, and \"× plain by CPU\" plain's worker CPU per request "
        "over the variant's: the throughput ratio where the nginx worker is "
        "all that limits; \"client CPU\" is wrk + API stand-in on the "
        "other core (near 100%%, the client side limits too)."
        % (CONNECTIONS, REPEATS, DURATION))
    out()
    out("| endpoint | variant | req/s | × plain | × plain, by round | p50 "
        "| p99 | worker CPU µs/req (user + kernel) | × plain by CPU | worker "
        "busy | client CPU busy | errors |")
    out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    summary = {}
    for e in ENDPOINTS:
        base = med([r["rps"] for r in runs["plain", e]])
        for v in VARIANTS:
            rs = runs[v, e]
            rps = med([r["rps"] for r in rs])
            summary[v, e] = {
                "rps": rps, "ratio": rps / base if base else None,
                "us": med([r["worker_us_per_req"] for r in rs]),
                "p50": med([r["p50"] for r in rs]),
                "p99": med([r["p99"] for r in rs]),
                "all": [r["rps"] for r in rs]}
            s = summary[v, e]
            # each round's ratio to plain's run of the same round: the
            # VM's speed drifts by more than the variants differ
            s["rounds"] = sorted(r["rps"] / p["rps"] for r, p in
                                 zip(rs, runs["plain", e]) if p["rps"])
            s["paired"] = med(s["rounds"])
            share = med([r["worker_user_share"] for r in rs])
            s["cpu_ratio"] = summary["plain", e]["us"] / s["us"]
            out("| %s | %s | %.0f | %.2f | %.2f | %s | %s | %.1f (%.1f + "
                "%.1f) | %.2f | %.0f%% | %.0f%% | %d |" % (
                    e, NAMES[v], rps, s["ratio"], s["paired"],
                    fmt_ms(s["p50"]),
                    fmt_ms(s["p99"]), s["us"], s["us"] * share,
                    s["us"] * (1 - share), s["cpu_ratio"],
                    100 * med([r["worker_util"] for r in rs]),
                    100 * med([r["others_util"][0] + r["wrk_util"]
                               for r in rs]),
                    sum(r["errors"] + r["non2xx"] for r in rs)))
    out()
    stray = max(r["stray"] for rs in runs.values() for r in rs)
    out("CPU used by other processes during a run: at most %.0f%% of a CPU%s."
        % (100 * stray, "  WARNING: the machine was not quiet"
           if stray > STRAY else ""))
    out()

    # the module with its abuse limits against the module without, round
    # by round as against plain; none of the limits may refuse

    out("### The abuse limits: the module with them against the module "
        "without")
    out()
    out("The same sends and verifies (%s different phones, and request ids, "
        "in turn for every variant), the limits of bench/conf/bench.conf's "
        "/limits/ locations: a send counts 5 limits, a verify its request's "
        "wrong codes and 1 limit. \"× module, by round\" is the median "
        "of each round's ratio to the module's run of the same round; "
        "\"× module by CPU\" the module's worker CPU per request over "
        "the one with limits." % format(PHONES, ","))
    out()
    out("| endpoint | module req/s | with limits req/s | × module | "
        "× module, by round (rounds) | worker µs/req module / with limits "
        "| × module by CPU | non-2xx with limits |")
    out("|---|---:|---:|---:|---|---:|---:|---:|")
    for e in ENDPOINTS:
        m, l = summary["smotp", e], summary["limits", e]
        rounds = [r["rps"] / p["rps"] for r, p in
                  zip(runs["limits", e], runs["smotp", e]) if p["rps"]]
        l["vs_module_rounds"] = rounds
        l["vs_module"] = med(rounds)
        l["vs_module_cpu"] = m["us"] / l["us"]
        bad = sum(r["errors"] + r["non2xx"] for r in runs["limits", e])
        l["bad"] = bad
        out("| %s | %.0f | %.0f | %.3f | %.3f (%s) | %.1f / %.1f | %.3f "
            "| %d |" % (e, m["rps"], l["rps"], l["rps"] / m["rps"],
                        l["vs_module"],
                        ", ".join("%.3f" % x for x in rounds),
                        m["us"], l["us"], l["vs_module_cpu"], bad))
    out()
    log = open(os.path.join(DIR, "bench-error.log"), errors="replace").read()
    refused = log.count("refused by")
    full = log.count("is full") + log.count("has no room")
    out("Refusals in the error log: %d; a full zone said: %d times%s." % (
        refused, full, "" if not refused and not full else
        "  WARNING: the limits refused or evicted: not what is measured"))
    out()
    out("Each run (req/s, worker µs/request, CPU taken by other processes):")
    out()
    for e in ENDPOINTS:
        for v in VARIANTS:
            out("- %s %s: %s" % (NAMES[v], e, "; ".join(
                "%.0f, %.1f µs, %.0f%%" % (r["rps"], r["worker_us_per_req"],
                                           100 * r["stray"])
                for r in runs[v, e])))
    out()
    return summary


def gate(api):
    say("bench: the gate, %d x %d s per row, %d connections"
        % (REPEATS, DURATION, CONNECTIONS))
    nginx = start_bench(API_PORT)
    worker = worker_of(nginx)
    apiw = worker_of(api)
    get_cookie()

    runs = collections.defaultdict(list)
    for v in GATE_VARIANTS:
        wrk(v, None, CONNECTIONS, WARMUP)

    for rep in range(REPEATS):
        # the three back to back, in one of their six orders in turn
        order = round_order(rep, GATE_VARIANTS)
        for v in order:
            for attempt in range(1 + RETRIES):
                wait_quiet()
                ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                r = wrk(v, None, CONNECTIONS, DURATION, worker, [apiw],
                        label="gate-%s-%d" % (v, rep + 1))
                r["wrk_util"] = wrk_cpu_util(ru0, r["rusage"], r["wall"])
                r["stray"] = max(0.0, r["busy"] - r["worker_util"]
                                 - r["others_util"][0] - r["wrk_util"])
                say("  %-8s run %d: %6.0f req/s  p99 %s  worker %.0f%% "
                    "%.1f µs/req  other processes %.0f%%%s"
                    % (v, rep + 1, r["rps"], fmt_ms(r["p99"]),
                       100 * r["worker_util"], r["worker_us_per_req"],
                       100 * r["stray"], "  (disturbed, again)"
                       if r["stray"] > STRAY and attempt < RETRIES else ""))
                if r["stray"] <= STRAY:
                    break
            runs[v].append(r)

    stop(nginx)

    out("## The gate (issue 10)")
    out()
    out("A GET of one page of a canned app (an nginx `return` on the other "
        "core, which shows the X-Verified-Phone it is handed) through a "
        "keepalive proxy_pass, with the cookie a verify set: no gate; "
        "`smotp_require` (the cookie opened in the access phase, the "
        "phone handed on); `auth_request` to a canned session check (a "
        "second keepalive upstream call that answers 204 on the cookie's "
        "presence, checking nothing: the floor of that design). wrk -t1 "
        "-c%d, %d runs of %d s per row, interleaved (each round in the "
        "next of the rows' six orders); medians, and each "
        "round's ratio to the ungated run of the same round."
        % (CONNECTIONS, REPEATS, DURATION))
    out()
    out("| row | req/s | × no gate | × no gate, by round (rounds) | p50 | "
        "p99 | worker CPU µs/req | × no gate by CPU | errors |")
    out("|---|---:|---:|---|---:|---:|---:|---:|---:|")

    summary = {}
    base = runs["open"]
    for v in GATE_VARIANTS:
        rs = runs[v]
        rounds = [r["rps"] / b["rps"] for r, b in zip(rs, base) if b["rps"]]
        s = summary[v] = {
            "rps": med([r["rps"] for r in rs]),
            "us": med([r["worker_us_per_req"] for r in rs]),
            "rounds": rounds, "paired": med(rounds),
            "bad": sum(r["errors"] + r["non2xx"] for r in rs)}
        s["cpu_ratio"] = med([r["worker_us_per_req"] for r in base]) / s["us"]
        out("| %s | %.0f | %.3f | %.3f (%s) | %s | %s | %.1f | %.3f | %d |"
            % (NAMES[v], s["rps"], s["rps"] / med([r["rps"] for r in base]),
               s["paired"], ", ".join("%.3f" % x for x in rounds),
               fmt_ms(med([r["p50"] for r in rs])),
               fmt_ms(med([r["p99"] for r in rs])), s["us"],
               s["cpu_ratio"], s["bad"]))
    out()
    return summary


def redis_calls(port):
    """the script's calls Redis has run (EVALSHA and EVAL), from INFO"""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(b"INFO commandstats\r\n")
        data = b""
        while True:
            data += c.recv(65536)
            head, _, rest = data.partition(b"\r\n")
            if head.startswith(b"$") and len(rest) >= int(head[1:]):
                break
    return sum(int(n) for n in re.findall(
        rb"cmdstat_eval(?:sha)?:calls=(\d+)", data))


def fleet(api):
    """the limits in Redis beside the same limits in shared memory, one
    nginx, interleaved rounds (issue 12)"""
    say("bench: the fleet, %d x %d s per row, %d connections"
        % (REPEATS, DURATION, CONNECTIONS))
    with open(os.path.join(DIR, "secret"), "w") as f:
        f.write("00112233445566778899aabbccddeeff" * 2 + "\n")
    redis = start(pinned(CLIENT_CPU, [
        "redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--daemonize", "no"]),
        "redis.out")
    wait_port(REDIS_PORT, redis)
    nginx = start_fleet()
    worker = worker_of(nginx)
    apiw = worker_of(api)

    rows = ["limits", "fleet"]
    runs = collections.defaultdict(list)
    for v in rows:
        wrk(v, "send", CONNECTIONS, WARMUP)

    for rep in range(REPEATS):
        order = round_order(rep, rows)
        for v in order:
            wait_quiet()
            calls = redis_calls(REDIS_PORT)
            r = wrk(v, "send", CONNECTIONS, DURATION, worker,
                    [apiw, redis.pid], label="fleet-%s-%d" % (v, rep + 1),
                    vary_from=(rep * 2 + (v == "fleet")) * PHONES)
            r["calls"] = redis_calls(REDIS_PORT) - calls
            say("  %-7s run %d: %6.0f req/s  p50 %s  p99 %s  worker %.0f%% "
                "%.1f µs/req  redis %.0f%%, %d calls"
                % (v, rep + 1, r["rps"], fmt_ms(r["p50"]), fmt_ms(r["p99"]),
                   100 * r["worker_util"], r["worker_us_per_req"],
                   100 * r["others_util"][1], r["calls"]))
            runs[v].append(r)

    stop(nginx)

    ir = fleet_callgrind() if shutil.which("valgrind") else None

    stop(redis)

    out("## The limits in Redis (issue 12)")
    out()
    out("bench/conf/fleet.conf: the five limits of /limits/send counted in "
        "shared memory and the same five in a zone with redis= (EVALSHA "
        "calls, each for the sends that came together, to a redis-server "
        "of this bench on the client's core, over loopback, a keepalive "
        "upstream); both rows answer "
        "handles (the secret file redis= needs). wrk -t1 -c%d, %d runs of "
        "%d s per row, interleaved, every send a new phone; medians, and "
        "each round's ratio to the shared-memory run of the same round. "
        "The worker's CPU is the module's own cost; the latency adds "
        "Redis' round trip." % (CONNECTIONS, REPEATS, DURATION))
    out()
    out("| row | req/s | × shared memory | × by round (rounds) | p50 | p99 "
        "| worker CPU µs/req | × by CPU | Redis CPU | sends a call | "
        "non-2xx |")
    out("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    summary = {}
    base = runs["limits"]
    for v in rows:
        rs = runs[v]
        rounds = [r["rps"] / b["rps"] for r, b in zip(rs, base) if b["rps"]]
        s = summary[v] = {
            "rps": med([r["rps"] for r in rs]),
            "us": med([r["worker_us_per_req"] for r in rs]),
            "rounds": rounds, "paired": med(rounds),
            "bad": sum(r["errors"] + r["non2xx"] for r in rs)}
        s["cpu_ratio"] = med([r["worker_us_per_req"] for r in base]) / s["us"]
        calls = sum(r["calls"] for r in rs)
        per_call = ("%.1f" % (sum(r["requests"] for r in rs) / calls)
                    if calls else "")
        out("| %s | %.0f | %.3f | %.3f (%s) | %s | %s | %.1f | %.3f | "
            "%.0f%% | %s | %d |"
            % (NAMES[v], s["rps"], s["rps"] / med([r["rps"] for r in base]),
               s["paired"], ", ".join("%.3f" % x for x in rounds),
               fmt_ms(med([r["p50"] for r in rs])),
               fmt_ms(med([r["p99"] for r in rs])), s["us"],
               s["cpu_ratio"], 100 * med([r["others_util"][1] for r in rs]),
               per_call, s["bad"]))
    out()
    if ir:
        out("Instructions per send (callgrind, the nginx of fleet.conf in one "
            "process, %s sends a row over 50 connections after a warm-up, "
            "counted from zero): in shared memory %s Ir, in Redis %s Ir "
            "(%+d, %.3f ×), %.1f sends a call to Redis."
            % (format(CG_REQUESTS, ","), format(round(ir["limits"]), ","),
               format(round(ir["fleet"]), ","),
               round(ir["fleet"] - ir["limits"]),
               ir["fleet"] / ir["limits"], ir["per_call"]))
        out()
        summary["ir"] = ir
    return summary


def start_fleet(master="on", wrap=None, name="fleet"):
    conf = render("fleet.conf", name + ".conf", {
        "DIR": DIR, "PORT": PORT, "UPSTREAM_PORT": API_PORT,
        "REDIS_PORT": REDIS_PORT, "API_KEY": API_KEY, "MODULE": MODULE_COPY,
        "MASTER": master, "CPU_MASK": cpu_mask(NGINX_CPU)})
    p = start(pinned(NGINX_CPU, (wrap or []) + [
        NGINX, "-p", DIR, "-c", conf, "-e",
        os.path.join(DIR, "fleet-error.log")]), name + ".out")
    wait_port(PORT, p, 120 if wrap else 30)
    return p


def fleet_callgrind():
    """the module's own cost of the limits in Redis: instructions per send
    of each row, one process under callgrind (the Redis calls shared by
    the sends that came together, as under load)"""
    say("bench: the fleet under callgrind, %d sends per row" % CG_REQUESTS)
    cgdir, wrap = callgrind_dir("callgrind-fleet")
    nginx = start_fleet(master="off", wrap=wrap, name="fleet-cg")
    for v in ("limits", "fleet"):
        wrk(v, "send", CONNECTIONS, 600, stop_after=300,
            vary_from=20 * PHONES)
    callgrind_ctl(nginx.pid, "--zero")
    ir = {}
    for n, v in enumerate(("limits", "fleet")):
        calls = redis_calls(REDIS_PORT)
        r = wrk(v, "send", CONNECTIONS, 600, stop_after=CG_REQUESTS,
                vary_from=(21 + n) * PHONES)
        if v == "fleet":
            ir["per_call"] = r["requests"] / max(
                1, redis_calls(REDIS_PORT) - calls)
        path = callgrind_dump(nginx.pid, cgdir, "fleet-%s" % v)
        ir[v] = callgrind_totals(path) / max(1, r["requests"])
        say("  %-7s %d sends, %.0f Ir a send" % (v, r["requests"], ir[v]))
    stop(nginx)
    return ir


def steady(log, t0, t1):
    """rate and latency of the requests that ended between t0 and t1, from
    the access log (log_format bench: $msec $request_time $status)"""
    times = []
    bad = 0
    with open(log) as f:
        for line in f:
            msec, rt, status = line.split()
            if t0 <= float(msec) < t1:
                times.append(float(rt) * 1000)
                bad += not status.startswith("2")
    times.sort()

    def pct(p):
        return times[min(len(times) - 1, int(p / 100 * len(times)))] \
            if times else None

    return {"rps": len(times) / (t1 - t0), "p50": pct(50), "p99": pct(99),
            "bad": bad, "n": len(times)}


def inflight(api):
    say("bench: in flight, API delay %.3f s, %d connections, %d s"
        % (DELAY, INFLIGHT, INFLIGHT_DURATION))
    slow = start_slow_api()
    bound = INFLIGHT / DELAY
    results = {}

    def sampler(p):
        peak = (0, 0)
        while p.poll() is None:
            peak = max(peak, rss_kib(worker))
            time.sleep(0.25)
        return peak

    for v in INFLIGHT_VARIANTS:
        for e in ENDPOINTS:
            log = os.path.join(DIR, "inflight-%s-%s.log" % (v, e))
            nginx = start_bench(SLOW_PORT, name="bench-slow",
                                access_log="%s bench buffer=256k flush=1s"
                                % log)
            worker = worker_of(nginx)
            fresh = rss_kib(worker)

            wait_quiet()
            t0 = time.time()
            r = wrk(v, e, INFLIGHT, INFLIGHT_DURATION, worker, [slow.pid],
                    label="inflight-%s-%s" % (v, e), during=sampler)
            time.sleep(0.5)
            r["rss_fresh"] = fresh
            r["rss_after"] = rss_kib(worker)
            stop(nginx)

            # the steady state: not the first 2 s (1,000 connects at once,
            # the first answers 200 ms away), not the last half second
            r["steady"] = steady(log, t0 + 2, t0 + INFLIGHT_DURATION - 0.5)
            results[v, e] = r
            say("  %-6s %-6s: %5.0f req/s steady (%.1f%% of %.0f), "
                "%5.0f overall, p99 %s steady, %s overall, errors %d"
                % (v, e, r["steady"]["rps"],
                   100 * r["steady"]["rps"] / bound, bound, r["rps"],
                   fmt_ms(r["steady"]["p99"]), fmt_ms(r["p99"]),
                   r["errors"] + r["non2xx"]))

    stop(slow)

    out("## In-flight capacity")
    out()
    out("API stand-in answering after %g ms (bench/slow_api.py, asyncio, on "
        "the client CPU), %d wrk connections for %d s per variant, each "
        "variant on a fresh nginx; the bound is connections / delay = %.0f "
        "req/s. \"Steady\" is from nginx's access log ($msec, "
        "$request_time) over the run less its first 2 s and last 0.5 s "
        "(wrk opens its %d connections at once and the first answers are "
        "%g ms away); \"overall\" is wrk's figure for the whole run, "
        "latency as the client sees it. RSS: the worker's, fresh / peak "
        "sampled every 0.25 s / idle after the run."
        % (DELAY * 1000, INFLIGHT, INFLIGHT_DURATION, bound, INFLIGHT,
           DELAY * 1000))
    out()
    out("| endpoint | variant | req/s steady | of bound | p50 / p99 "
        "steady | req/s overall | p50 / p99 overall | errors | worker "
        "busy | API busy | worker RSS fresh / peak / after |")
    out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for e in ENDPOINTS:
        for v in INFLIGHT_VARIANTS:
            r = results[v, e]
            st = r["steady"]
            out("| %s | %s | %.0f | %.1f%% | %s / %s | %.0f | %s / %s | %d "
                "| %.0f%% | %.0f%% | %.1f / %.1f / %.1f MiB |" % (
                    e, NAMES[v], st["rps"], 100 * st["rps"] / bound,
                    fmt_ms(st["p50"]), fmt_ms(st["p99"]), r["rps"],
                    fmt_ms(r["p50"]), fmt_ms(r["p99"]),
                    r["errors"] + r["non2xx"] + st["bad"],
                    100 * r["worker_util"], 100 * r["others_util"][0],
                    r["rss_fresh"][0] / 1024, r["samples"][0] / 1024,
                    r["rss_after"][0] / 1024))
    out()
    return results, bound


def memory(api):
    chunk = 50000 if LONG_REQUESTS >= 100000 else max(1, LONG_REQUESTS // 4)
    v = MEMORY_VARIANT
    say("bench: memory, %d requests to %s send/verify" % (LONG_REQUESTS, v))
    nginx = start_bench(API_PORT, name="bench-mem")
    worker = worker_of(nginx)
    fresh = rss_kib(worker)
    check_answers()

    points = [("fresh, before any request", fresh)]
    for e in ENDPOINTS:
        wrk(v, e, CONNECTIONS, 600, stop_after=10000)
    warm = rss_kib(worker)
    points.append(("after 20,000 warm-up requests", warm))

    done = 0
    i = 0
    while done < LONG_REQUESTS:
        n = min(chunk, LONG_REQUESTS - done)
        e = ENDPOINTS[i % 2]
        r = wrk(v, e, CONNECTIONS, 3600, stop_after=n)
        done += r["requests"]
        i += 1
        if r["errors"] or r["non2xx"]:
            say("  errors in the memory run: %d" % (r["errors"] + r["non2xx"]))
        points.append(("after %s requests" % format(done, ","),
                       rss_kib(worker)))
        say("  %9d requests: RSS %d KiB" % (done, points[-1][1][0]))

    stop(nginx)

    first = points[2][1] if len(points) > 2 else warm
    last = points[-1][1]

    out("## Worker memory over a long run")
    out()
    out("%s, send and verify alternately, %s requests in chunks of "
        "%s, %d connections, fast API. RSS and its anonymous part "
        "(RssAnon, the heap) from /proc/PID/status."
        % (NAMES[v], format(LONG_REQUESTS, ","), format(chunk, ","),
           CONNECTIONS))
    out()
    out("| point | RSS | RssAnon |")
    out("|---|---:|---:|")
    for name, (rss, anon) in points:
        out("| %s | %d KiB | %d KiB |" % (name, rss, anon))
    out()
    out("Growth from the first chunk to the last: RSS %+d KiB, RssAnon "
        "%+d KiB; from warm to the last: RSS %+d KiB."
        % (last[0] - first[0], last[1] - first[1], last[0] - warm[0]))
    out()
    return {"fresh": fresh, "warm": warm, "first": first, "last": last,
            "points": points}


def callgrind_dir(name):
    """a fresh folder for callgrind's dumps, and valgrind's command line
    writing them there"""
    cgdir = os.path.join(DIR, name)
    shutil.rmtree(cgdir, ignore_errors=True)
    os.makedirs(cgdir)
    return cgdir, ["valgrind", "--tool=callgrind", "--smc-check=all-non-file",
                   "--callgrind-out-file=%s/callgrind.out" % cgdir] + CG_ARGS


def callgrind_ctl(pid, *args):
    subprocess.run(["callgrind_control"] + list(args) + [str(pid)],
                   capture_output=True, check=True)


def callgrind_dump(pid, cgdir, label):
    """the counts since the last zero or dump, dumped: the new file's path"""
    before = set(os.listdir(cgdir))
    callgrind_ctl(pid, "--dump=%s" % label)
    for _ in range(200):
        new = set(os.listdir(cgdir)) - before
        if new:
            return os.path.join(cgdir, new.pop())
        time.sleep(0.05)
    raise RuntimeError("callgrind wrote no dump for %s" % label)


def callgrind_totals(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    return None


def annotate(path, inclusive=False):
    """cost per function, {(object, function): Ir}, from callgrind_annotate;
    self cost unless inclusive"""
    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100",
         "--inclusive=" + ("yes" if inclusive else "no"), path],
        capture_output=True, text=True).stdout
    total = callgrind_totals(path)
    costs = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([\s\d.]+%\)\s+)?(\S+?):(\S+)"
                     r"(?:\s+\[(.*)\])?\s*$", line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        fn = m.group(3)
        obj = os.path.basename(m.group(4) or "")
        if fn.startswith("ngx_http_smotp"):
            obj = "ngx_http_smotp_module.so"
        elif not obj:
            continue

        # a dump taken while the worker runs leaves the frames below the
        # event loop (main, __libc_start_main...) with the whole cost
        if not inclusive and ir >= 0.9 * total:
            continue

        if inclusive:
            costs[obj, fn] = max(costs.get((obj, fn), 0), ir)
        else:
            costs[obj, fn] = costs.get((obj, fn), 0) + ir
    return costs


def call_arcs(path):
    """{(caller, callee): [calls, inclusive Ir]} from a callgrind dump's
    call graph (its cfn= / calls= lines)"""
    names = {}
    arcs = collections.defaultdict(lambda: [0, 0])
    fn = cfn = None
    pending = None

    def name(spec):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?$", spec)
        if not m:
            return spec
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), spec)

    with open(path) as f:
        for line in f:
            if pending is not None:
                parts = line.split()
                if len(parts) > 1:
                    arcs[fn, cfn][0] += pending
                    arcs[fn, cfn][1] += int(parts[1])
                pending = None
            elif line.startswith("fn="):
                fn = name(line[3:].strip())
            elif line.startswith("cfn="):
                cfn = name(line[4:].strip())
            elif line.startswith("calls="):
                pending = int(line[6:].split()[0])
    return arcs


# the abuse limits' functions, and nginx's that they call
LIMIT_FUNCS = re.compile(r"ngx_http_smotp_(limit|zone|siphash|client_net|"
                         r"phone_variable)")


def category(obj, fn):
    if fn.startswith("ngx_http_smotp") or obj.startswith("ngx_http_smotp"):
        return "module's own code"
    if "cjson" in obj.lower():
        return "cJSON"
    if obj.startswith("libcrypto"):
        return "OpenSSL (RAND_bytes)"
    if obj.startswith("libc.so") and re.search(
            r"malloc|free|_int_|unlink_chunk|tcache|alloc", fn):
        return "malloc/free"
    if obj.startswith("libc.so"):
        return "libc, other"
    if "lua" in obj.lower() or obj.startswith("ngx_http_lua"):
        return "Lua"
    if obj.startswith("ld-linux") or obj == "???":
        return "ld.so, other"
    return "nginx core"


def callgrind():
    if not shutil.which("valgrind"):
        say("bench: no valgrind, instruction counts skipped")
        return None
    n = CG_REQUESTS
    say("bench: callgrind, %d requests per variant" % n)
    cgdir, wrap = callgrind_dir("callgrind")
    nginx = start_bench(API_PORT, master="off", wrap=wrap, name="bench-cg")
    check_answers()

    for v in VARIANTS:
        for e in ENDPOINTS:
            wrk(v, e, 1, 600, stop_after=300)

    get_cookie()
    for v in GATE_VARIANTS:
        wrk(v, None, 1, 600, stop_after=300)

    # the zone's tree filled with CG_PHONES phones (2 entries each), which
    # the counted sends then find again
    wrk("limits", "send", 8, 3600, stop_after=CG_PHONES, vary=CG_PHONES)

    callgrind_ctl(nginx.pid, "--zero")
    files = {}
    for v, e in [(v, e) for v in VARIANTS for e in ENDPOINTS] + [
            ("limits-new", "send")] + [(v, None) for v in GATE_VARIANTS]:
        if v == "limits-new":
            # phones the zone has not seen: their entries made
            r = wrk("limits", e, 1, 600, stop_after=n, vary=n,
                    vary_from=CG_PHONES)
        elif v == "limits":
            r = wrk(v, e, 1, 600, stop_after=n, vary=CG_PHONES)
        else:
            r = wrk(v, e, 1, 600, stop_after=n)
        if r["requests"] != n or r["errors"] or r["non2xx"]:
            say("  %s %s: %d requests, %d errors" % (
                v, e, r["requests"], r["errors"] + r["non2xx"]))
        files[v, e] = (callgrind_dump(nginx.pid, cgdir, "%s-%s" % (v, e)),
                       r["requests"])
        say("  %-6s %-6s dumped" % (v, e))

    stop(nginx)

    ir = {}
    for k, (path, count) in files.items():
        ir[k] = callgrind_totals(path) / count

    out("## Instructions per request (callgrind)")
    out()
    out("The nginx under test run under valgrind --tool=callgrind (one "
        "process, master_process off), warmed with 300 requests per "
        "variant, then %s requests per variant over one connection, "
        "counters zeroed before and dumped after each. User-space "
        "instructions only (Ir): the kernel's share (the loopback TCP "
        "path) is not counted. Repeatable to a few tenths of a per cent."
        % format(n, ","))
    out()
    out("| endpoint | variant | Ir/request | over plain | × plain |")
    out("|---|---|---:|---:|---:|")
    for e in ENDPOINTS:
        for v in VARIANTS + ["limits-new"]:
            if (v, e) not in ir:
                continue
            out("| %s | %s | %s | %+s | %.2f |" % (
                e, NAMES[v], format(round(ir[v, e]), ","),
                format(round(ir[v, e] - ir["plain", e]), ","),
                ir[v, e] / ir["plain", e]))
    out()
    out("The gate's rows (GETs of a canned page with the cookie, see "
        "\"The gate\"):")
    out()
    out("| row | Ir/request | over no gate | × no gate |")
    out("|---|---|---:|---:|")
    for v in GATE_VARIANTS:
        out("| %s | %s | %+s | %.3f |" % (
            NAMES[v], format(round(ir[v, None]), ","),
            format(round(ir[v, None] - ir["open", None]), ","),
            ir[v, None] / ir["open", None]))
    out()
    gate_path, gate_n = files["gated", None]
    rows = [(fn, c / gate_n) for (obj, fn), c in
            annotate(gate_path, inclusive=True).items()
            if fn.startswith("ngx_http_smotp")]
    if rows:
        out("The module's functions on a gated request, inclusive of their "
            "callees:")
        out()
        out("| function | Ir/request inclusive |")
        out("|---|---:|")
        for fn, c in sorted(rows, key=lambda x: -x[1])[:8]:
            out("| %s | %s |" % (fn, format(round(c), ",")))
        out()
    out("\"smotp with limits\": the phones of the 2,000 counted sends were "
        "all sent once before (the zone holds %s phones' entries: found in "
        "its tree); \"new phones\": 2,000 phones it has not seen (their "
        "entries made)." % format(CG_PHONES, ","))
    out()
    limits_cost(files, ir)

    # where the module's extra instructions go: per-function self cost,
    # smotp minus plain, per request

    for e in ENDPOINTS:
        sm_path, sm_n = files["smotp", e]
        pl_path, pl_n = files["plain", e]
        sm = annotate(sm_path)
        pl = annotate(pl_path)
        diff = {}
        for k in set(sm) | set(pl):
            d = sm.get(k, 0) / sm_n - pl.get(k, 0) / pl_n
            diff[k] = d
        cats = collections.Counter()
        for (obj, fn), d in diff.items():
            cats[category(obj, fn)] += d
        total = ir["smotp", e] - ir["plain", e]

        out("### smotp_%s over plain proxy_pass: where the extra %s "
            "Ir/request go" % (e, format(round(total), ",")))
        out()
        out("| part | Ir/request | share of the extra |")
        out("|---|---:|---:|")
        for c, d in cats.most_common():
            if abs(d) >= 0.5:
                out("| %s | %+d | %.0f%% |" % (c, d, 100 * d / total))
        rest = total - sum(cats.values())
        out("| functions under callgrind_annotate's threshold | %+d | %.0f%% |"
            % (rest, 100 * rest / total))
        out()
        out("Functions whose cost per request changed most (self cost, "
            "smotp minus plain):")
        out()
        out("| function | object | Ir/request |")
        out("|---|---|---:|")
        for (obj, fn), d in sorted(diff.items(), key=lambda x: -abs(x[1]))[:25]:
            out("| %s | %s | %+d |" % (fn, obj, d))
        out()

        # the module's own functions, inclusive of what they call

        rows = [(fn, c / sm_n) for (obj, fn), c in
                annotate(sm_path, inclusive=True).items()
                if fn.startswith("ngx_http_smotp")]
        if rows:
            out("The module's functions, inclusive of their callees (a "
                "function called from another is counted in both):")
            out()
            out("| function | Ir/request inclusive |")
            out("|---|---:|")
            for fn, c in sorted(rows, key=lambda x: -x[1])[:15]:
                out("| %s | %s |" % (fn, format(round(c), ",")))
            out()

    return ir


def limits_cost(files, ir):
    """the abuse limits' instructions: the calls made to and from their
    functions, per request and per call, from callgrind's call graph"""
    for v, e in [("limits", "send"), ("limits-new", "send"),
                 ("limits", "verify")]:
        path, count = files[v, e]
        arcs = call_arcs(path)
        extra = ir[v, e] - ir["smotp", e]
        out("#### %s %s over the module without limits: %+d Ir/request"
            % (NAMES[v], e, round(extra)))
        out()
        out("Every call to or from the limits' functions (callgrind's call "
            "graph; inclusive Ir of the callee, per request and per call):")
        out()
        out("| caller | callee | calls/request | Ir/request | Ir/call |")
        out("|---|---|---:|---:|---:|")
        rows = [(k, c) for k, c in arcs.items()
                if c[0] and (LIMIT_FUNCS.search(k[0] or "")
                             or LIMIT_FUNCS.search(k[1] or ""))]
        rows.sort(key=lambda x: -x[1][1])
        for (a, b), (calls, cost) in rows:
            if cost / count < 1:
                continue
            out("| %s | %s | %.2f | %s | %s |" % (
                a, b, calls / count, format(round(cost / count), ","),
                format(round(cost / calls), ",")))
        out()


def perf_profile(api, tp=None):
    if not shutil.which("perf"):
        say("bench: no perf, profile skipped")
        return None
    probe = subprocess.run(["perf", "record", "-e", "cpu-clock", "-o",
                            os.path.join(DIR, "perf-probe.data"), "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        say("bench: perf record does not work here, profile skipped")
        return None

    say("bench: perf profile, %d s per variant" % PERF_SECONDS)
    nginx = start_bench(API_PORT, name="bench-perf")
    worker = worker_of(nginx)
    check_answers()

    shares = {}
    tops = {}
    syscalls = {}
    wake = {}
    for v, e in [("plain", "send"), ("smotp", "send"), ("smotp", "verify"),
                 ("lua", "send")]:
        wrk(v, e, CONNECTIONS, WARMUP)
        wait_quiet()
        data = os.path.join(DIR, "perf-%s-%s.data" % (v, e))

        def during(p, data=data):
            time.sleep(1)
            subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "4999",
                            "-g", "-p", str(worker), "-o", data, "--",
                            "sleep", str(PERF_SECONDS)],
                           capture_output=True)

        pr = wrk(v, e, CONNECTIONS, PERF_SECONDS + 2, worker=worker,
                 during=during)
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio",
                              "--children", "--sort", "sym", "-g", "none"],
                             capture_output=True, text=True).stdout
        m = re.search(r"^\s+([\d.]+)%\s+[\d.]+%\s+\[k\] sock_def_readable",
                      rep, re.M)
        wake[v, e] = (pr["worker_us_per_req"],
                      float(m.group(1)) if m else 0.0)
        trace = os.path.join(DIR, "perf-trace-%s-%s.txt" % (v, e))
        tr = subprocess.Popen(["perf", "trace", "-s", "-o", trace, "-p",
                               str(worker)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        started.append(tr)
        time.sleep(1)
        r = wrk(v, e, CONNECTIONS, 600, stop_after=SYSCALL_REQUESTS)
        time.sleep(0.2)
        stop(tr, signal.SIGINT)
        calls = collections.Counter()
        if os.path.exists(trace):
            with open(trace) as f:
                for m in re.finditer(r"^\s+(\w+)\s+(\d+)\s+\d+\s+[\d.]+",
                                     f.read(), re.M):
                    calls[m.group(1)] += int(m.group(2))
        syscalls[v, e] = (calls, r["requests"])

        rep = subprocess.run(["perf", "report", "-i", data, "--stdio",
                              "--no-children", "--sort", "dso", "-g", "none"],
                             capture_output=True, text=True).stdout
        shares[v, e] = [(m.group(2).strip(), float(m.group(1))) for m in
                        re.finditer(r"^\s+([\d.]+)%\s+(.+)$", rep, re.M)]
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio",
                              "--no-children", "--sort", "dso,sym",
                              "-g", "none"],
                             capture_output=True, text=True).stdout
        tops[v, e] = [(float(m.group(1)), m.group(2), m.group(3).strip())
                      for m in re.finditer(
                          r"^\s+([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.+)$",
                          rep, re.M)]
    stop(nginx)

    out("## CPU profile of the worker (perf, cpu-clock)")
    out()
    out("perf record -e cpu-clock -g on the nginx worker for %d s at full "
        "load (%d connections, fast API); share of the worker's samples by "
        "object." % (PERF_SECONDS, CONNECTIONS))
    out()
    objs = []
    for k in shares:
        for o, _ in shares[k]:
            if o not in objs:
                objs.append(o)
    keys = list(shares)
    out("| object | " + " | ".join("%s %s" % k for k in keys) + " |")
    out("|---|" + "---:|" * len(keys))
    for o in objs:
        vals = [dict(shares[k]).get(o) for k in keys]
        if max(x or 0 for x in vals) < 0.3:
            continue
        out("| %s | " % o + " | ".join("%.1f%%" % x if x else "-"
                                       for x in vals) + " |")
    out()
    out("The same in µs of worker CPU per request (%s, split by the "
        "samples' shares); " % (
            "the medians of the throughput runs" if tp else
            "the CPU time of the profiled run over its requests, perf's "
            "own cost included") +
        "\"waking the peer\" is the kernel's sock_def_readable with what "
        "it calls: a write on loopback delivers the data to wrk or the API "
        "stand-in at once, in the writer's system call, and wakes the "
        "reader on the other CPU, which in this VM costs more the more "
        "often that CPU is idle:")
    out()
    out("| µs/request | " + " | ".join("%s %s" % k for k in keys) + " |")
    out("|---|" + "---:|" * len(keys))
    rows = collections.OrderedDict()
    for k in keys:
        us, wk = wake[k]
        if tp:
            us = tp[k]["us"]
        kern = dict(shares[k]).get("[kernel.kallsyms]", 0.0)
        rows.setdefault("worker CPU, all", []).append(us)
        rows.setdefault("user space", []).append(us * (100 - kern) / 100)
        rows.setdefault("kernel", []).append(us * kern / 100)
        rows.setdefault("kernel: waking the peer", []).append(us * wk / 100)
        rows.setdefault("kernel: the rest", []).append(us * (kern - wk)
                                                       / 100)
    for name, vals in rows.items():
        out("| %s | " % name + " | ".join("%.1f" % x for x in vals) + " |")
    out()

    names = sorted({n for k in syscalls for n in syscalls[k][0]},
                   key=lambda n: -max(syscalls[k][0][n] / max(1, syscalls[k][1])
                                      for k in syscalls))
    if names and all(syscalls[k][1] for k in syscalls):
        out("System calls of the worker per request (perf trace -s over %s "
            "requests at %d connections; the calls of a whole run divided "
            "by its requests):" % (format(SYSCALL_REQUESTS, ","),
                                   CONNECTIONS))
        out()
        out("| system call | " + " | ".join("%s %s" % k for k in syscalls)
            + " |")
        out("|---|" + "---:|" * len(syscalls))
        for n in names + ["total"]:
            vals = [(sum(c.values()) if n == "total" else c[n]) / count
                    for c, count in syscalls.values()]
            if max(vals) >= 0.01:
                out("| %s | " % n + " | ".join("%.2f" % x for x in vals)
                    + " |")
        out()

    for k in [("smotp", "send"), ("smotp", "verify")]:
        rows = [t for t in tops[k] if "kernel" not in t[1]][:20]
        out("Top user-space functions, smotp %s (%% of all worker samples):"
            % k[1])
        out()
        out("| % | object | function |")
        out("|---:|---|---|")
        for pct, obj, fn in rows:
            out("| %.2f | %s | %s |" % (pct, obj, fn))
        out()
    return shares


# --- main ----------------------------------------------------------------

def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ver = subprocess.run([NGINX, "-v"], capture_output=True,
                         text=True).stderr.strip()
    wrkv = subprocess.run(["wrk", "-v"], capture_output=True,
                          text=True).stdout.split("\n")[0]
    debian = open("/etc/debian_version").read().strip() \
        if os.path.exists("/etc/debian_version") else "?"
    return ("%d CPUs (%s), kernel %s, Debian %s, %s, %s"
            % (NCPU, model, platform.release(), debian, ver, wrkv.strip()))


def module_version():
    def git(*a):
        return subprocess.run(["git", "-C", ROOT] + list(a),
                              capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = git("status", "--porcelain", "--", "config",
                "ngx_http_smotp_module.c", "src")
    with open(MODULE_COPY, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return "build/ngx_http_smotp_module.so (sha256 %s) built from %s%s" % (
        digest, head, " with uncommitted changes to its sources"
        if dirty else "")


def main():
    if not os.path.exists(MODULE):
        raise SystemExit("bench: %s is missing: run make first" % MODULE)
    for port in (PORT, API_PORT, SLOW_PORT, APP_PORT):
        if port_open(port):
            raise SystemExit("bench: port %d is in use (BENCH_PORT=N picks "
                             "another range)" % port)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    shutil.rmtree(DIR, ignore_errors=True)
    for d in ("tmp", "raw"):
        os.makedirs(os.path.join(DIR, d))

    shutil.copy2(MODULE, MODULE_COPY)

    # the gate's secret (bench.conf's /gate/ locations)
    fd = os.open(os.path.join(DIR, "secret"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, (os.urandom(32).hex() + "\n").encode())
    os.close(fd)

    busy = machine_busy()
    t0 = time.time()

    out("# make bench: results")
    out()
    out("%s; %s." % (datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
                     machine()))
    out("Module: %s." % module_version())
    out("nginx under test: 1 worker on CPU %d; wrk (1 thread) and the API "
        "stand-in on CPU %d." % (NGINX_CPU, CLIENT_CPU))
    out("Machine busy before the run: %.0f%% of all CPUs%s." % (
        100 * busy, "  WARNING: something else is running, the numbers "
        "are disturbed" if busy > 0.10 else ""))
    out()
    header = len(report)

    api = start_api()

    tp = gt = fl = inf = mem = cg = None
    try:
        if "throughput" in SECTIONS:
            tp = throughput(api)
        if "gate" in SECTIONS:
            gt = gate(api)
        if "fleet" in SECTIONS:
            fl = fleet(api)
        if "inflight" in SECTIONS:
            inf = inflight(api)
        if "memory" in SECTIONS:
            mem = memory(api)
        if "callgrind" in SECTIONS and CG_REQUESTS > 0:
            cg = callgrind()
        if "perf" in SECTIONS and PERF_SECONDS > 0:
            perf_profile(api, tp)
    finally:
        stop_all()

    busy_after = machine_busy()

    targets = []
    if tp:
        for e in ENDPOINTS:
            s, lua = tp["smotp", e], tp["lua", e]
            targets.append(("%s ≥ 0.90 × plain proxy_pass" % e,
                            "%.2f × by round (rounds from %.2f to %.2f; "
                            "%.2f × the medians' req/s, %.2f × by worker "
                            "CPU)" % (
                                s["paired"], s["rounds"][0], s["rounds"][-1],
                                s["ratio"], s["cpu_ratio"]),
                            s["paired"] >= 0.90))
            targets.append(("%s ahead of Lua" % e, "%.2f × Lua" % (
                s["rps"] / lua["rps"]), s["rps"] > lua["rps"]))
        for e in ENDPOINTS:
            lim = tp["limits", e]
            targets.append(("%s with limits within 3%% of the module "
                            "(issue 13)" % e,
                            "%.3f × by round (rounds from %.3f to %.3f; "
                            "%.3f × by worker CPU), %d non-2xx" % (
                                lim["vs_module"],
                                min(lim["vs_module_rounds"]),
                                max(lim["vs_module_rounds"]),
                                lim["vs_module_cpu"], lim["bad"]),
                            lim["vs_module"] >= 0.97 and not lim["bad"]))
    if gt:
        g, a = gt["gated"], gt["authreq"]
        targets.append(("the gated proxy ≥ 0.97 × the ungated one (issue 10)",
                        "%.3f × by round (rounds from %.3f to %.3f; %.3f × "
                        "by worker CPU), %d errors" % (
                            g["paired"], min(g["rounds"]), max(g["rounds"]),
                            g["cpu_ratio"], g["bad"]),
                        g["paired"] >= 0.97 and not g["bad"]))
        targets.append(("the gate far ahead of auth_request (issue 10)",
                        "%.2f × auth_request's req/s" % (g["rps"] / a["rps"]),
                        g["rps"] > 1.2 * a["rps"]))
    if fl:
        # the module's own cost is judged by its instructions a send: the
        # req/s of this row is bound by Redis' script on the client's core
        f = fl["fleet"]
        ir = fl.get("ir")
        targets.append(("the limits in Redis within 10% of the same in "
                        "shared memory, the module's own cost (issue 12)",
                        "%s%.3f × by round (rounds from %.3f to %.3f; %.3f "
                        "× by worker CPU), %d non-2xx" % (
                            "%.3f × by instructions a send (%+d Ir, %.1f "
                            "sends a call); " % (
                                ir["limits"] / ir["fleet"],
                                round(ir["fleet"] - ir["limits"]),
                                ir["per_call"]) if ir else "",
                            f["paired"], min(f["rounds"]), max(f["rounds"]),
                            f["cpu_ratio"], f["bad"]),
                        (ir["limits"] / ir["fleet"] >= 0.90 if ir
                         else f["paired"] >= 0.90) and not f["bad"]))
    if cg:
        # a send counts 5 limits, a verify its wrong codes and 1 limit
        for e, checks in (("send", 5), ("verify", 2)):
            each = (cg["limits", e] - cg["smotp", e]) / checks
            targets.append(("%s: each limit's check at most a few hundred "
                            "Ir (issue 13)" % e,
                            "%s Ir a request over the module, %s a check "
                            "(%d checks)" % (
                                format(round(cg["limits", e]
                                             - cg["smotp", e]), ","),
                                format(round(each), ","), checks),
                            each <= 500))
    if inf:
        results, bound = inf
        for e in ENDPOINTS:
            r = results["smotp", e]
            st = r["steady"]
            errors = r["errors"] + r["non2xx"] + st["bad"]
            ok = st["rps"] >= 0.95 * bound and not errors
            targets.append(("%s with a %g ms API: within 5%% of %.0f req/s, "
                            "no errors" % (e, DELAY * 1000, bound),
                            "%.1f%% steady (%.1f%% overall), %d errors" % (
                                100 * st["rps"] / bound,
                                100 * r["rps"] / bound, errors), ok))
    if mem and MEMORY_VARIANT == "smotp":
        growth = mem["last"][0] - mem["first"][0]
        targets.append(("no worker memory growth over %s requests"
                        % format(LONG_REQUESTS, ","),
                        "%+d KiB RSS" % growth, growth <= 64))

    body = report[header:]
    del report[header:]
    if targets:
        out("## Targets (issues 4, 10 and 13)")
        out()
        out("| target | measured | |")
        out("|---|---|---|")
        for name, got, ok in targets:
            out("| %s | %s | %s |" % (name, got, "met" if ok else "MISSED"))
        out()
    report.extend(body)
    out("Run time %.0f s. Machine busy after the run: %.0f%%. Raw wrk "
        "output, configurations, callgrind dumps and perf data: "
        "build/bench/." % (time.time() - t0, 100 * busy_after))

    text = "\n".join(report) + "\n"
    with open(os.path.join(DIR, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, lambda *a: sys.exit(1))
    try:
        main()
    finally:
        stop_all()
