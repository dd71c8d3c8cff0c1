#!/usr/bin/env bash
# Runs every test: installs what they need, builds the debug configuration once, runs the Swift
# unit tests, then the end-to-end tests against the same debug binary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
swift build --build-tests
# The Mail tests talk to a real SMTP server (aiosmtpd from the venv).
SCAICORE_TEST_PYTHON="$PWD/.venv/bin/python" swift test --skip-build
SCAICORE_BIN="$PWD/.build/debug/scaicore-appliance" .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider
