#!/usr/bin/env bash
# The reliability runs at CI's short setting, after scripts/test.sh (docs/reliability.md):
#   - the chaos soak on the daemon: 500 operations, seed 1;
#   - the API fuzzing with schemathesis: 20 examples an operation, seed 1;
#   - the address sanitizer over LuaKit's, the parsers', the hooks' and the fuzz corpora's suites.
# Each exits non-zero on its first failure, and so does this. The long settings are by hand:
# scripts/soak.sh --ops 5000 --seed S, scripts/apifuzz.sh --examples 200, scripts/fuzz.sh TARGET
# 600, and scripts/sanitize.sh thread (the daemon's and QMP suites under the thread sanitizer:
# a build of its own that CI's time does not allow beside the rest).
#   scripts/reliability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

started=$(date +%s)
step() { echo "reliability: $1 (at $(($(date +%s) - started)) s)" >&2; }

step "the chaos soak, 500 operations, seed 1"
bash scripts/soak.sh --ops 500 --seed 1
step "API fuzzing, 20 examples an operation, seed 1"
bash scripts/apifuzz.sh --examples 20 --seed 1
step "the address sanitizer"
bash scripts/sanitize.sh address
step "done"
