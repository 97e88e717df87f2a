#!/usr/bin/python3
"""Checks an smotp_metrics answer (on stdin) with Prometheus's own parser.

    prom-check.py [--buckets] [PATTERN]

The text must parse with prometheus_client's text format parser (Debian's
python3-prometheus-client), every family must have its HELP and its TYPE
(counter or histogram), counters must end in _total, and each histogram's
buckets must be cumulative, end with le="+Inf", and agree with its _count.
Then the samples that are not zero are printed, one a line, as
name{label="value",...} value, in the order of the text: those whose line
matches PATTERN (a regular expression) if one is given.  Buckets and sums
depend on time: they are left out unless --buckets is given (sums rounded
to tenths of a second then).  Any failure prints "error: ..." instead.
"""

import math
import re
import sys

from prometheus_client.parser import text_string_to_metric_families


def fail(msg):
    print("error: " + msg)
    sys.exit(0)


def labels(sample):
    return ",".join('%s="%s"' % (k, v) for k, v in sorted(sample.labels.items()))


def number(value):
    if value == math.floor(value) and not math.isinf(value):
        return str(int(value))
    return str(value)


def check_histogram(family):
    series = {}
    for s in family.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        h = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if s.name.endswith("_bucket"):
            h["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_sum"):
            h["sum"] = s.value
        elif s.name.endswith("_count"):
            h["count"] = s.value
    for key, h in series.items():
        b = h["buckets"]
        if not b or not math.isinf(b[-1][0]):
            fail("%s%s: no +Inf bucket" % (family.name, key))
        if [le for le, _ in b] != sorted(le for le, _ in b):
            fail("%s%s: buckets out of order" % (family.name, key))
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            fail("%s%s: buckets not cumulative" % (family.name, key))
        if h["count"] is None or h["sum"] is None:
            fail("%s%s: no _count or _sum" % (family.name, key))
        if h["count"] != b[-1][1]:
            fail("%s%s: _count is not the +Inf bucket" % (family.name, key))


def main():
    args = sys.argv[1:]
    buckets = "--buckets" in args
    args = [a for a in args if a != "--buckets"]
    pattern = re.compile(args[0]) if args else None

    text = sys.stdin.read()

    if not text.endswith("\n"):
        fail("the text does not end with a newline")

    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and others
        fail("parse: %s" % e)

    if not families:
        fail("no metrics")

    out = []

    for f in families:
        if not f.documentation:
            fail("%s has no HELP" % f.name)
        if f.type not in ("counter", "histogram"):
            fail("%s has type %s" % (f.name, f.type))
        if f.type == "histogram":
            check_histogram(f)

        for s in f.samples:
            if f.type == "counter" and not s.name.endswith("_total"):
                fail("counter sample %s does not end in _total" % s.name)
            value = s.value
            if s.name.endswith(("_bucket", "_sum")):
                if not buckets:
                    continue
                if s.name.endswith("_sum"):
                    value = round(value, 1)
            if value == 0:
                continue
            line = "%s{%s} %s" % (s.name, labels(s), number(value))
            if pattern is None or pattern.search(line):
                out.append(line)

    for line in out:
        print(line)


main()
