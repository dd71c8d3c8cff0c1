#!/usr/bin/env bash
# Installs what building (and with --test, testing) the appliance needs on Debian/Ubuntu:
# system -dev packages through apt-get, and the Python test clients in ./.venv through pip.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(libsqlite3-dev liblmdb-dev libxml2-dev)
test_packages=(curl openssl gcc libc6-dev util-linux)

want_tests=false
[ "${1:-}" = "--test" ] && want_tests=true

packages=("${build_packages[@]}")
$want_tests && packages+=("${test_packages[@]}")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain first (swift.org)" >&2; exit 1; }

if $want_tests; then
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv 2>/dev/null || {
      sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
      $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv .venv
    }
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -r tests/requirements.txt
fi
