#!/usr/bin/env bash
# The test command: sets up (apt), builds, and runs every test. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build --build-tests
swift format lint -r Sources Tests Benchmarks Package.swift
swift test --skip-build
