#!/usr/bin/env bash
# The main job, as far as it goes today: runs site policy snippets in the hook sandbox with
# `taphouse hooks eval`, shows a hook error with its file:line, and a runaway hook stopped by its
# time budget.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build --product taphouse
taphouse=$(swift build --show-bin-path)/taphouse

echo "== a site policy snippet, run in the hook sandbox"
"$taphouse" hooks eval examples/eval/bridge-from-tag.lua --lua-path examples/eval/lib

echo "== a hook with a bug: the error names file and line"
"$taphouse" hooks eval examples/eval/broken.lua || echo "(exit status $?)"

echo "== a runaway hook: stopped by its time budget even though it catches errors"
"$taphouse" hooks eval examples/eval/runaway.lua --timeout-ms 200 || echo "(exit status $?)"
