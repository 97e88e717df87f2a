#!/usr/bin/env python3
"""Reads the sanitizers' report files of a run (ASAN_OPTIONS/UBSAN_OPTIONS
log_path) and prints those that count; exits 1 if any does.

    scripts/sanitizer-reports.py NOISE_FILE REPORT...

Every error counts (AddressSanitizer, UndefinedBehaviorSanitizer), and so
does every leak, except a leak whose allocation stack matches one of the
regular expressions of NOISE_FILE (one a line, # comments).  A stack is
matched as its function names from the allocator's caller out to main(),
joined by single spaces, frames without a name left out: "ngx_memalign
ngx_create_pool main".  This is for what LeakSanitizer's own suppressions
(function names anywhere in the stack) cannot tell apart.
"""

import re
import sys

LEAK = re.compile(r"^(Direct|Indirect) leak of \d+ byte")
FRAME = re.compile(r"^\s+#(\d+) 0x[0-9a-f]+(?: in (\S+))?")
HEADER = re.compile(r"ERROR: LeakSanitizer: detected memory leaks")
SUMMARY = re.compile(r"^SUMMARY: AddressSanitizer: \d+ byte\(s\) leaked")


def noise_rules(path):
    rules = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                rules.append(re.compile(line))
    return rules


def leak_blocks(lines):
    """(chain, text) of each leak of a LeakSanitizer report, or None when
    the report holds anything but leaks"""
    blocks = []
    current = None

    for line in lines:
        if LEAK.match(line):
            current = {"names": [], "text": [line]}
            blocks.append(current)
            continue

        m = FRAME.match(line)
        if m and current is not None:
            current["text"].append(line)
            names = current["names"]
            if (int(m.group(1)) > 0 and m.group(2)
                    and not (names and names[-1] == "main")):
                names.append(m.group(2))
            continue

        if (not line.strip() or line.startswith("=====")
                or HEADER.search(line) or SUMMARY.match(line)):
            current = None
            continue

        return None

    return [(" ".join(b["names"]), "".join(b["text"])) for b in blocks]


def main():
    rules = noise_rules(sys.argv[1])
    counted = 0
    ignored = 0

    for path in sys.argv[2:]:
        with open(path, errors="replace") as f:
            lines = f.readlines()

        blocks = leak_blocks(lines)

        if blocks is not None:
            real = [text for chain, text in blocks
                    if not any(r.search(chain) for r in rules)]
            if not real:
                ignored += 1
                continue

        counted += 1
        print("=== sanitizer report %s" % path)
        sys.stdout.write("".join(lines))

    if ignored:
        print("(%d report(s) of nginx's own memory left at exit ignored, "
              "see %s)" % (ignored, sys.argv[1]))

    if counted:
        print("%d sanitizer report(s), above" % counted)
        return 1

    return 0


if __name__ == "__main__":
    sys.exit(main())
