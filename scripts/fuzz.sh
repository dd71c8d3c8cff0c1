#!/usr/bin/env bash
# Fuzzes the IR decoder/validator and the expression language with libFuzzer for a fixed budget.
#   scripts/fuzz.sh [SECONDS]      (default 60)
# Crashing inputs are written to fuzz/artifacts/; add each as a case in
# Tests/CoreEngineTests/FuzzRegressionTests.swift before fixing the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
swift build --package-path fuzz -c release --product IRFuzz -Xswiftc -sanitize=fuzzer,address \
  --scratch-path .build-fuzz
mkdir -p fuzz/corpus fuzz/artifacts
# Seed the corpus with the fixtures (valid and invalid bundles).
cp -n fixtures/bundles/*.json fixtures/invalid/*.json fuzz/corpus/ 2>/dev/null || true
.build-fuzz/release/IRFuzz fuzz/corpus -max_total_time="$seconds" -max_len=8192 -artifact_prefix=fuzz/artifacts/ \
  -print_final_stats=1
