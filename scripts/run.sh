#!/usr/bin/env bash
# Installs what is missing, builds a release binary and serves on embedded defaults:
# ./data, SQLite, http://127.0.0.1:8080. Extra arguments go to `serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build -c release --product scaicore-appliance
exec .build/release/scaicore-appliance serve "$@"
