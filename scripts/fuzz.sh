#!/usr/bin/env bash
# Coverage-guided fuzzing of taphouse's parsers (libFuzzer, with address sanitizer).
#   scripts/fuzz.sh --list              the targets, one a line
#   scripts/fuzz.sh TARGET SECONDS      fuzz one; exits non-zero with the crashing input's path
#   scripts/fuzz.sh --all SECONDS       each target in turn for SECONDS (CI's short setting)
# Seeds come from Fuzz/Corpus/TARGET (committed); what the fuzzer adds goes to
# .build-fuzz/corpus/TARGET (not committed), crashes to .build-fuzz/crashes/TARGET/. A fixed
# finding's input goes to Fuzz/Regressions/TARGET/, which the test suite replays.
set -euo pipefail
cd "$(dirname "$0")/.."

build=.build-fuzz
if [[ ${1:-} == --list ]]; then
    swift build --product taphouse-fuzz >&2
    "$(swift build --show-bin-path)/taphouse-fuzz" --list
    exit 0
fi

usage() {
    echo "usage: scripts/fuzz.sh --list | TARGET SECONDS | --all SECONDS" >&2
    exit 2
}
[[ $# -eq 2 && $2 =~ ^[0-9]+$ ]] || usage

# The fuzzer build: every module, Swift and C (Lua's shim), instrumented for coverage and the
# address sanitizer, and no main of ours (libFuzzer brings its own); lld, since gold warns about
# the sanitizer's local symbols on every link.
swift build --build-path "$build" --product taphouse-fuzz --sanitize=fuzzer --sanitize=address \
    -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link -Xswiftc -use-ld=lld >&2
fuzzer="$build/debug/taphouse-fuzz"

run() {
    local target=$1 seconds=$2
    local corpus="$build/corpus/$target" crashes="$build/crashes/$target"
    mkdir -p "$corpus" "$crashes"
    [[ -d Fuzz/Corpus/$target ]] || { echo "fuzz: no target $target (scripts/fuzz.sh --list)" >&2; exit 2; }
    echo "fuzz: $target for $seconds s" >&2
    local log="$build/$target.log" status=0
    # Each input has 5 s (a hook spec runs Lua under its own budget, well below); 2 GiB of RSS.
    TAPHOUSE_FUZZ_TARGET=$target "$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "Fuzz/Corpus/$target" >"$log" 2>&1 ||
        status=$?
    # The figures: executions, coverage, the corpus.
    grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::peak_rss_mb' "$log" |
        sed "s/^/fuzz: $target /" >&2 || true
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed "s/^/fuzz: $target /" >&2 || true
    if [[ $status -ne 0 ]]; then
        local found
        found=$(grep -oE "(Test unit written to|artifact_prefix.*; Test unit written to) [^ ]+" "$log" |
            awk '{print $NF}' | tail -1)
        echo "fuzz: $target found a failure: ${found:-see $log}" >&2
        grep -E 'Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY' "$log" | head -5 >&2 || true
        echo "${found:-$log}"
        exit 1
    fi
}

if [[ $1 == --all ]]; then
    for target in $(ls Fuzz/Corpus); do run "$target" "$2"; done
else
    run "$1" "$2"
fi
