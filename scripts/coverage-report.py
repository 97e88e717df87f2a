#!/usr/bin/env python3
"""What the suite ran of the module, from gcov's JSON files (make coverage).

    coverage-report.py --root DIR --reasons FILE --uncovered OUT JSON...

JSON are gcov --json-format files (.gcov.json.gz), one per object.  Only
the sources under --root count (the module's, not nginx's headers), the
build directories excepted.  Prints the line and branch figures per source
file and in total, the way gcov counts them: a line is one gcov gives a
count for, a branch is one arc out of a block with several, taken if its
count is not 0.

OUT lists every line never run, as FILE:LINE and its text, in two parts:
first the lines that are not allocation failures, each with the reason
that --reasons gives for it, then the allocation failures.  A line is
taken for an allocation failure when it sits in the block of an `if`
that tests for NULL, NGX_ERROR or not NGX_OK the result of a call that
allocates (the call in the condition, or in the statements right before
it).  That is a heuristic: OUT is there to be read.

The reasons file (scripts/coverage-reasons.txt) has two kinds of lines:

    GLOB | REGEX | REASON    a reason for the uncovered lines of the files
                             that match GLOB (fnmatch, relative to --root)
                             whose text REGEX finds (re.search in the line
                             and the 8 lines before it, joined by newlines:
                             \Z is the end of the line itself)
    alloc | NAME             NAME is a function that fails only when memory
                             runs out, like ngx_palloc

Entries that match no uncovered line are listed, to be dropped.
"""

import argparse
import fnmatch
import gzip
import json
import os
import re
import sys

ALLOCATORS = [
    "ngx_palloc", "ngx_pnalloc", "ngx_pcalloc", "ngx_pmemalign",
    "ngx_alloc", "ngx_calloc", "ngx_pstrdup",
    "ngx_array_create", "ngx_array_init", "ngx_array_push",
    "ngx_array_push_n", "ngx_list_create", "ngx_list_init", "ngx_list_push",
    "ngx_create_temp_buf", "ngx_calloc_buf", "ngx_alloc_chain_link",
    "ngx_chain_get_free_buf", "ngx_pool_cleanup_add",
    "ngx_http_alloc_large_header_buffer", "ngx_http_cleanup_add",
    "ngx_http_post_request", "ngx_http_complex_value", "ngx_conf_full_name",
    "ngx_hash_init", "ngx_hash_keys_array_init",
    "cJSON_CreateObject", "cJSON_CreateArray", "cJSON_CreateString",
    "cJSON_CreateNumber", "cJSON_AddStringToObject",
    "cJSON_AddNumberToObject", "cJSON_AddBoolToObject",
    "cJSON_AddItemToObject", "cJSON_PrintUnformatted",
    "cJSON_PrintPreallocated",
]

FAILURE_TEST = re.compile(r"==\s*NULL|!\s*[A-Za-z_]|NGX_ERROR|!=\s*NGX_OK")


def load_reasons(path):
    reasons, allocators = [], []

    if not os.path.exists(path):
        return reasons, allocators

    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) == 2 and parts[0] == "alloc":
                allocators.append(parts[1])
            elif len(parts) == 3:
                reasons.append({"glob": parts[0],
                                "regex": re.compile(parts[1]),
                                "text": parts[2], "where": n, "used": 0})
            else:
                sys.exit(f"{path}:{n}: neither 'GLOB | REGEX | REASON' "
                         "nor 'alloc | NAME'")

    return reasons, allocators


def load_counts(files, root):
    """{relative path: {line: [count, branches, taken]}}"""
    counts = {}
    build = os.path.join(root, "build") + os.sep

    for name in files:
        with gzip.open(name, "rt", encoding="utf-8") as f:
            data = json.load(f)
        cwd = data.get("current_working_directory", "")

        for src in data["files"]:
            path = os.path.normpath(os.path.join(cwd, src["file"]))
            if not path.startswith(root + os.sep) or path.startswith(build):
                continue
            rel = os.path.relpath(path, root)
            lines = counts.setdefault(rel, {})

            for ln in src["lines"]:
                # a header's line is in each object that includes it, and
                # a line may be in two functions: the counts add up, the
                # branches are those of the first seen
                n = ln["line_number"]
                branches = [b["count"] for b in ln["branches"]]
                if n not in lines:
                    lines[n] = [ln["count"], len(branches),
                                sum(1 for c in branches if c > 0)]
                    lines[n].append(branches)
                    continue
                entry = lines[n]
                entry[0] += ln["count"]
                if len(branches) == entry[1]:
                    entry[3] = [a + b for a, b in zip(entry[3], branches)]
                    entry[2] = sum(1 for c in entry[3] if c > 0)
                elif entry[1] == 0:
                    entry[1], entry[3] = len(branches), branches
                    entry[2] = sum(1 for c in branches if c > 0)

    return counts


def read_source(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8",
              errors="replace") as f:
        return [""] + f.read().split("\n")


def indent(text):
    return len(text) - len(text.lstrip(" "))


def enclosing_if(src, n):
    """The condition of the if whose block holds line n, and the line
    numbers of the statements right before that if; None if n is not in
    an if's block."""
    depth = indent(src[n])
    i = n - 1

    while i > 0:
        t = src[i]
        if t.strip() and indent(t) < depth:
            break
        i -= 1
    else:
        return None

    # the line that opens the block: "if (...) {", the condition maybe
    # spread over the lines above it
    if not src[i].rstrip().endswith("{"):
        return None
    start = i
    while start > 0 and not re.match(r"\s*(\}\s*else\s+)?if\s*\(",
                                      src[start]):
        if start < i and (src[start].rstrip().endswith((";", "{", "}"))
                          or not src[start].strip()):
            return None
        start -= 1
    if start == 0:
        return None

    cond = " ".join(s.strip() for s in src[start:i + 1])

    # the statements since the block before, a blank line or two between
    before = []
    j = start - 1
    while j > 0 and len(before) < 6 \
            and not src[j].rstrip().endswith(("{", "}")):
        if src[j].strip():
            before.append(j)
        j -= 1

    return cond, before


def is_alloc_failure(src, n, allocators):
    found = enclosing_if(src, n)
    if found is None:
        return False
    cond, before = found

    if not FAILURE_TEST.search(cond):
        return False

    calls = re.compile(r"\b(" + "|".join(map(re.escape, allocators))
                       + r")\s*\(")
    if calls.search(cond):
        return True

    # the tested name must be what the allocation before it assigned
    tested = re.findall(r"([A-Za-z_][\w.>-]*)\s*==\s*NULL", cond)
    tested += re.findall(r"!\s*([A-Za-z_][\w.>-]*)", cond)
    text = " ".join(src[j].strip() for j in sorted(before))
    if not calls.search(text):
        return False
    if not tested:
        return "NGX_ERROR" in cond or "NGX_OK" in cond
    return any(re.search(re.escape(t) + r"\s*=[^=]", text) for t in tested)


# a reason's REGEX sees the line with this many lines before it
CONTEXT = 8

ERROR_RETURN = {"NGX_ERROR", "NULL", "NGX_CONF_ERROR"}


def functions(src):
    """(name, first line, last line) of each function, written the nginx
    way: the name at the start of a line, the braces alone on theirs."""
    found = []
    n = 1

    while n < len(src):
        m = re.match(r"([A-Za-z_]\w*)\(", src[n])
        if m:
            start = n
            while n < len(src) and src[n] != "{":
                if src[n].endswith(";"):
                    break
                n += 1
            if n < len(src) and src[n] == "{":
                while n < len(src) and src[n] != "}":
                    n += 1
                found.append((m.group(1), start, n))
        n += 1

    return found


def alloc_only(src, start, end, allocators):
    """Whether the function fails only when memory runs out: each of its
    error returns handles a failed allocation, and it returns no other
    failure (a status, or whatever another call returned)."""
    errors = 0
    calls = re.compile(r"(" + "|".join(map(re.escape, allocators))
                       + r")\s*\(")
    n = start

    while n <= end:
        m = re.match(r"\s*return\b\s*(.*)", src[n])
        if not m:
            n += 1
            continue
        first = n
        expr = m.group(1)
        while not expr.rstrip().endswith(";") and n < end:
            n += 1
            expr += " " + src[n].strip()
        expr = expr.rstrip().rstrip(";").strip()
        n += 1

        if expr in ERROR_RETURN:
            if not is_alloc_failure(src, first, allocators):
                return False
            errors += 1
        elif re.fullmatch(r"NGX_[A-Z_]+", expr):
            if expr not in ("NGX_OK", "NGX_CONF_OK"):
                return False
        elif re.match(r"\(?[A-Za-z_]\w*\s*\(", expr):
            if not calls.match(expr.lstrip("(")):
                return False
            errors += 1
        elif re.fullmatch(r"[a-z_]\w*", expr) is None \
                or expr in ("rc", "rv", "n"):
            # a variable holding a status, or an expression
            if not re.fullmatch(r"[a-z_]\w*(->\w+|\.\w+)*", expr) \
                    or expr in ("rc", "rv", "n"):
                return False

    return errors > 0


def find_allocators(root, files, allocators):
    """The module's own functions that fail only when memory runs out,
    found from the allocators known, again until no more are found."""
    sources = {rel: read_source(root, rel) for rel in files}
    found = []

    while True:
        more = []
        for rel, src in sources.items():
            for name, start, end in functions(src):
                if name in allocators or name in more:
                    continue
                if alloc_only(src, start, end, allocators + more):
                    more.append(name)
        if not more:
            return found
        found += more
        allocators = allocators + more


def percent(part, whole):
    return 100.0 * part / whole if whole else 100.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--reasons", required=True)
    ap.add_argument("--uncovered", required=True)
    ap.add_argument("json", nargs="+")
    args = ap.parse_args()

    root = os.path.realpath(args.root)
    reasons, extra = load_reasons(args.reasons)
    allocators = ALLOCATORS + extra
    counts = load_counts(args.json, root)
    found = find_allocators(root, sorted(counts), allocators)
    allocators += found

    rows = []
    tot = [0, 0, 0, 0]
    other, alloc = [], []

    for rel in sorted(counts, key=lambda r: (os.sep in r, r)):
        lines = counts[rel]
        src = read_source(root, rel)
        run = sum(1 for e in lines.values() if e[0] > 0)
        br = sum(e[1] for e in lines.values())
        taken = sum(e[2] for e in lines.values())
        rows.append((rel, run, len(lines), taken, br))
        for k, v in enumerate((run, len(lines), taken, br)):
            tot[k] += v

        for n in sorted(lines):
            if lines[n][0] > 0:
                continue
            text = src[n] if n < len(src) else ""
            where = f"{rel}:{n}"
            if is_alloc_failure(src, n, allocators):
                alloc.append((where, text, None))
                continue
            reason = None
            window = "\n".join(src[max(1, n - CONTEXT):n + 1])
            for r in reasons:
                if fnmatch.fnmatch(rel, r["glob"]) and r["regex"].search(window):
                    r["used"] += 1
                    reason = r["text"]
                    break
            other.append((where, text, reason))

    width = max(len(r[0]) for r in rows + [("total",)])
    head = f"{'file':<{width}}  {'lines':>17}  {'branches taken':>17}"
    print(head)
    print("-" * len(head))
    for rel, run, nl, taken, br in rows:
        print(f"{rel:<{width}}  {percent(run, nl):6.2f}% of {nl:>6}  "
              f"{percent(taken, br):6.2f}% of {br:>6}")
    print("-" * len(head))
    print(f"{'total':<{width}}  {percent(tot[0], tot[1]):6.2f}% of {tot[1]:>6}"
          f"  {percent(tot[2], tot[3]):6.2f}% of {tot[3]:>6}")
    print()

    with_reason = sum(1 for o in other if o[2])
    print(f"lines never run: {len(other) + len(alloc)}; allocation "
          f"failures: {len(alloc)}; others: {len(other)} ({with_reason} "
          f"with a reason, {len(other) - with_reason} without)")

    for where, text, reason in other:
        if reason is None:
            print(f"  NO REASON  {where}: {text.strip()}")

    unused = [r for r in reasons if not r["used"]]
    for r in unused:
        print(f"  reason matching no line never run: {args.reasons}:"
              f"{r['where']}: {r['glob']} | {r['regex'].pattern}")

    with open(args.uncovered, "w", encoding="utf-8") as f:
        f.write(f"# lines never run by the suite: {len(other)} that are "
                f"not allocation failures,\n# then {len(alloc)} that "
                "handle a failed allocation (a heuristic: check them)\n\n")
        f.write("# the module's functions taken for allocations (they fail "
                "only when memory\n# runs out): "
                + (", ".join(found) or "none") + "\n\n")
        f.write(f"## not allocation failures ({len(other)})\n\n")
        for where, text, reason in other:
            f.write(f"{where}: {text.rstrip()}\n")
            f.write(f"    reason: {reason or 'NONE (scripts/coverage-reasons.txt)'}\n")
        f.write(f"\n## allocation failures ({len(alloc)})\n\n")
        for where, text, _ in alloc:
            f.write(f"{where}: {text.rstrip()}\n")


if __name__ == "__main__":
    main()
