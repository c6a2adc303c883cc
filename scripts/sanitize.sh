#!/usr/bin/env bash
# The test suites under the sanitizers, each in a build folder of its own:
#   thread sanitizer:  the daemon's and the QMP client's suites (the daemon under test is the
#                      TSan build of taphouse: the tests run the binary beside them);
#   address sanitizer: LuaKit, the parsers (QEMU), the hooks and the fuzz corpora.
#   scripts/sanitize.sh [thread|address]...   (both by default)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

kinds=("$@")
[[ ${#kinds[@]} -gt 0 ]] || kinds=(thread address)
for kind in "${kinds[@]}"; do
    case $kind in
        thread) filter='QMPTests|DaemonTests|InstanceRegistry|EventHub' ;;
        address) filter='LuaKitTests|QEMUTests|HooksTests|FuzzRegressionTests' ;;
        *) echo "sanitize: $kind is not thread or address" >&2; exit 2 ;;
    esac
    build=.build-$kind
    echo "sanitize: $kind: building" >&2
    swift build --build-path "$build" --build-tests --sanitize="$kind"
    echo "sanitize: $kind: $filter" >&2
    # halt_on_error: the first report fails the run, with its stack, instead of a summary later.
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ASAN_OPTIONS=halt_on_error=1:detect_leaks=0 \
        swift test --skip-build --build-path "$build" --filter "$filter"
done
