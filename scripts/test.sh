#!/usr/bin/env bash
# The test command: sets up (apt), builds, and runs every test. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build --build-tests
swift format lint -r Sources Tests Benchmarks Fuzz Package.swift
swift test --skip-build

# The hook specs: the built-in hooks' own (an empty site folder, so no override of this node's
# is what runs), then each example against its specs. No root needed.
swift build --product taphouse
taphouse=$(swift build --show-bin-path)/taphouse
empty_site=$(mktemp -d)
trap 'rm -rf "$empty_site"' EXIT
"$taphouse" hooks test --hooks-dir "$empty_site"
for example in examples/hooks/*/; do
    "$taphouse" hooks test --hooks-dir "$example" "$example/spec"
done

# Every fuzz target briefly, from its seeds (CI's short setting; scripts/fuzz.sh TARGET SECONDS
# runs one for long).
scripts/fuzz.sh --all 5
