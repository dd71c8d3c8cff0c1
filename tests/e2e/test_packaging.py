"""The release tarball: built in fast mode from the debug binary, unpacked, started, answering."""
import os
import subprocess
import tarfile

import requests

from conftest import REPO, Server


def test_the_tarball_unpacks_and_serves(tmp_path):
    out = tmp_path / "dist"
    result = subprocess.run([str(REPO / "packaging" / "build-tarball.sh"), "--fast", "--output", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    tarball = result.stdout.strip().splitlines()[-1]
    assert os.path.isfile(tarball)

    with tarfile.open(tarball) as archive:
        archive.extractall(tmp_path / "unpacked", filter="tar")
    (root,) = list((tmp_path / "unpacked").iterdir())
    for path in ["bin/scaicore-appliance", "etc/scaicore-appliance/config.yaml",
                 "lib/systemd/system/scaicore-appliance.service", "install.sh", "README.md", "docs/configuration.md"]:
        assert (root / path).exists(), path
    assert os.access(root / "bin" / "scaicore-appliance", os.X_OK)
    unit = (root / "lib/systemd/system/scaicore-appliance.service").read_text()
    for hardening in ["NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes", "SystemCallFilter=@system-service"]:
        assert hardening in unit

    # The packaged config is valid: start with it (on a temporary directory) and ask for health.
    server = Server(["--config", str(root / "etc/scaicore-appliance/config.yaml"), "--ephemeral", "--port", "0"],
                    binary=str(root / "bin" / "scaicore-appliance"))
    try:
        response = requests.get(server.url + "/healthz", timeout=10)
        assert response.status_code == 200 and response.json()["status"] == "ok"
    finally:
        assert server.stop() == 0
