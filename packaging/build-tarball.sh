#!/usr/bin/env bash
# Builds a release tarball for air-gapped installs: the binary (Swift runtime statically linked),
# the default config, the hardened systemd unit, install.sh and the README.
#
#   packaging/build-tarball.sh [--fast] [--output DIR]
#
# --fast packs the debug binary `swift build` already made instead of building a release one
# (the tests use it so the packaging cannot silently rot; such a tarball needs the Swift runtime
# of the build machine and is not for shipping).
set -euo pipefail
cd "$(dirname "$0")/.."

fast=false
output="dist"
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) fast=true ;;
    --output) output="${2:?--output needs a directory}"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if $fast; then
  binary=.build/debug/scaicore-appliance
  [ -x "$binary" ] || { echo "$binary is missing: run swift build first" >&2; exit 1; }
  flavour="debug"
else
  # The Swift runtime is linked in; the few C libraries it needs are shipped in lib/ and found
  # through the binary's $ORIGIN-relative run path.
  swift build -c release --product scaicore-appliance --static-swift-stdlib \
    -Xlinker -rpath -Xlinker '$ORIGIN/../lib'
  binary=.build/release/scaicore-appliance
  flavour=""
fi

version="$("$binary" --version)"
name="scaicore-appliance-${version}-linux-$(uname -m)${flavour:+-$flavour}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
install -d "$root/bin" "$root/etc/scaicore-appliance" "$root/lib/systemd/system" "$root/docs"
install -m 0755 "$binary" "$root/bin/scaicore-appliance"
# Ship the shared C libraries the binary uses beyond glibc (SQLite, libstdc++, ...), so the
# target machine needs nothing but a glibc at least as new as the build machine's.
install -d "$root/lib"
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r soname path; do
  case "$soname" in
    libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libutil.so*|libswift*|libFoundation*|lib_Foundation*|libBlocksRuntime*|libdispatch*|libicu*) ;;
    *) install -m 0644 "$path" "$root/lib/$soname" ;;
  esac
done
install -m 0644 packaging/config.yaml "$root/etc/scaicore-appliance/config.yaml"
install -m 0644 packaging/scaicore-appliance.service "$root/lib/systemd/system/scaicore-appliance.service"
install -m 0755 packaging/install.sh "$root/install.sh"
install -m 0644 README.md "$root/README.md"
cp docs/*.md "$root/docs/"

mkdir -p "$output"
tar -C "$stage" -czf "$output/$name.tar.gz" "$name"
echo "$output/$name.tar.gz"
