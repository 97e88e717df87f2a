#!/usr/bin/env bash
# make fuzz / make fuzz-ci: builds the fuzz target (fuzz/build.sh) and runs
# it.  See fuzz/README.md.
#
#   fuzz/run.sh         fuzzes until stopped (Ctrl-C) or a crash, growing
#                       a working corpus in build/fuzz-corpus (seeded from
#                       fuzz/corpus); FUZZ_TIME=seconds bounds it, FUZZ_JOBS
#                       runs that many fuzzers at once
#   fuzz/run.sh --ci    replays fuzz/regressions and fuzz/corpus, then
#                       fuzzes for FUZZ_CI_TIME seconds (60) from the
#                       corpus; fails on any crash, leak or broken promise
#
# Extra libFuzzer flags: FUZZ_ARGS.  A crash's input is written to
# build/fuzz-artifacts/; once it is understood, keep it in fuzz/regressions
# (named for what it shows) so that fuzz-ci replays it from then on.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

target=$("$root/fuzz/build.sh")

artifacts=$root/build/fuzz-artifacts
mkdir -p "$artifacts"

# the module's bodies are 4k by default, the API's answers fit in a page or
# two (subrequest_output_buffer_size)
flags=(-max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
       "-artifact_prefix=$artifacts/")
# shellcheck disable=SC2206
flags+=(${FUZZ_ARGS:-})

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "${1:-}" != --ci ]; then
    corpus=$root/build/fuzz-corpus
    mkdir -p "$corpus"
    jobs=${FUZZ_JOBS:-1}

    echo "fuzzing: $target, corpus $corpus (+ fuzz/corpus)," \
         "crashes to $artifacts/"

    if [ "$jobs" -gt 1 ]; then
        # each job logs to fuzz-N.log in the current directory
        flags+=(-jobs="$jobs" -workers="$jobs")
        cd "$artifacts"
    fi

    exec "$target" "${flags[@]}" -max_total_time="${FUZZ_TIME:-0}" \
        "$corpus" "$root/fuzz/corpus"
fi

# --ci: the known inputs first, each once, then a bounded run

inputs=()
for f in "$root"/fuzz/regressions/* "$root"/fuzz/corpus/*; do
    [ -f "$f" ] && inputs+=("$f")
done

failed=0

echo "fuzz-ci: replaying ${#inputs[@]} inputs (fuzz/regressions, fuzz/corpus)"
for f in "${inputs[@]}"; do
    if ! "$target" "${flags[@]}" "$f" > "$artifacts/replay.log" 2>&1; then
        echo "fuzz-ci: FAILED on ${f#"$root"/}:" >&2
        grep -a -v '^INFO:\|^Running:\|^Executed' "$artifacts/replay.log" \
            | head -n 40 >&2
        failed=$((failed + 1))
    fi
done

seconds=${FUZZ_CI_TIME:-60}
work=$(mktemp -d "$root/build/fuzz-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "fuzz-ci: fuzzing for ${seconds}s from fuzz/corpus"
if "$target" "${flags[@]}" -max_total_time="$seconds" "$work" \
        "$root/fuzz/corpus" > "$artifacts/fuzz-ci.log" 2>&1
then
    grep -a '^stat::\|^Done' "$artifacts/fuzz-ci.log" || true
    passed=$((${#inputs[@]} - failed + 1))

else
    echo "fuzz-ci: FAILED: the fuzzer found a crash:" >&2
    grep -a -v '^#[0-9]\|^INFO:' "$artifacts/fuzz-ci.log" | head -n 60 >&2
    echo "(the whole log: $artifacts/fuzz-ci.log; the input: the" \
         "\"Test unit written to\" line above)" >&2
    passed=$((${#inputs[@]} - failed))
    failed=$((failed + 1))
fi

echo "fuzz-ci: $passed passed, $failed failed"

[ "$failed" -eq 0 ]
