#!/usr/bin/env bash
# Runs every test: installs what they need, builds the debug configuration once, runs the Swift
# unit tests, then the end-to-end tests against the same debug binary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
swift build --build-tests
swift test --skip-build
SCAICORE_BIN="$PWD/.build/debug/scaicore-appliance" .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider
