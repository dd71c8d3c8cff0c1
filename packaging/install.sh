#!/usr/bin/env bash
# Installs an unpacked release tarball: binary to /opt/scaicore-appliance, config to
# /etc/scaicore-appliance (kept if present), systemd unit; then prints how to start it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
install -d -m 0755 /opt/scaicore-appliance/bin /etc/scaicore-appliance
install -m 0755 "$here/bin/scaicore-appliance" /opt/scaicore-appliance/bin/scaicore-appliance
install -m 0644 "$here/README.md" /opt/scaicore-appliance/README.md
[ -f /etc/scaicore-appliance/config.yaml ] || install -m 0644 "$here/etc/scaicore-appliance/config.yaml" /etc/scaicore-appliance/config.yaml
install -m 0644 "$here/lib/systemd/system/scaicore-appliance.service" /etc/systemd/system/scaicore-appliance.service
systemctl daemon-reload 2>/dev/null || true
cat <<TXT
Installed. Start it and read the first-start admin token from the journal:
  systemctl enable --now scaicore-appliance
  journalctl -u scaicore-appliance | grep -A1 'shown only this once'
TXT
