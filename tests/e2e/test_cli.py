"""The command line: --help everywhere, one-line failures, ephemeral mode, admin commands."""
import json
import os
import signal
import subprocess
import time

import pytest
import requests

from conftest import BIN, Server, cli

COMMANDS = [
    [], ["serve"], ["init"], ["admin"], ["admin", "tenant"], ["admin", "tenant", "create"], ["admin", "tenant", "list"],
    ["admin", "token"], ["admin", "token", "create"], ["admin", "token", "list"], ["admin", "token", "revoke"],
    ["core"], ["core", "validate"], ["bench"], ["bench", "api"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_every_command_has_help(command):
    result = cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "USAGE:" in result.stdout


def test_version():
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.strip().count(".") == 2


@pytest.mark.parametrize("args, needle", [
    (["serve", "--port", "eighty"], "'http.port'"),
    (["serve", "--port", "70000"], "'http.port'"),
    (["serve", "--no-such-flag"], "no-such-flag"),
    (["admin", "token", "create", "--tenant", "default", "--role", "king"], "king"),
    (["admin", "token", "create", "--tenant", "default", "--role", "admin", "--expires", "soon"], "--expires"),
    (["serve", "--ephemeral", "--data-dir", "/tmp/x"], "--ephemeral"),
    (["nonsense"], "nonsense"),
])
def test_bad_arguments_exit_nonzero_with_one_line(args, needle):
    result = cli(*args, timeout=20)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]


def test_bad_config_file_names_the_key(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("http:\n  prot: 8080\n")
    result = cli("serve", "--config", str(config), "--data-dir", str(tmp_path / "d"), timeout=20)
    assert result.returncode != 0
    assert "'http.prot'" in result.stderr and str(config) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists(), "a refused configuration must not create the data directory"


def test_bad_environment_value_names_the_key(tmp_path):
    result = cli("serve", "--data-dir", str(tmp_path / "d"), env={"SCAICORE_STORAGE_SQLITE_SYNCHRONOUS": "sometimes"}, timeout=20)
    assert result.returncode != 0
    assert "'storage.sqlite.synchronous'" in result.stderr and "SCAICORE_STORAGE_SQLITE_SYNCHRONOUS" in result.stderr


def test_unknown_environment_key_is_refused(tmp_path):
    result = cli("serve", "--data-dir", str(tmp_path / "d"), env={"SCAICORE_HTTP_PROT": "1"}, timeout=20)
    assert result.returncode != 0 and "SCAICORE_HTTP_PROT" in result.stderr


def test_config_file_values_take_effect(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'from-file'}\nhttp:\n  port: 0\nlog:\n  format: json\n")
    server = Server(["--config", str(config)], ephemeral=False)
    try:
        assert server.data_dir == str(tmp_path / "from-file")
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    finally:
        assert server.stop() == 0
    assert (tmp_path / "from-file" / "appliance.sqlite").exists()
    # log.format: json from the file: every log line is a JSON object.
    lines = [line for line in server.stderr_text().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)


def test_ephemeral_prints_one_json_line_serves_and_cleans_up():
    server = Server(["--ephemeral", "--port", "0"])
    info = server.info
    assert set(info) >= {"url", "token", "tenant", "tenant_id", "data_dir"}
    assert info["url"].startswith("http://127.0.0.1:") and not info["url"].endswith(":0")
    assert os.path.isdir(info["data_dir"])
    api = server.api()
    assert api.get("/healthz").status_code == 200
    assert api.get("/cores").status_code == 200
    assert server.stop(signal.SIGINT) == 0
    assert not os.path.exists(info["data_dir"]), "--ephemeral must delete its directory on exit"


def test_json_logs_carry_request_ids():
    server = Server(["--ephemeral", "--port", "0"], env={"SCAICORE_LOG_FORMAT": "json"})
    response = server.api().get("/cores", headers={"Authorization": "Bearer scai_wrong"})
    unknown = server.api().get("/no/such/route")
    server.stop()
    assert response.status_code == 401 and unknown.status_code == 404
    records = [json.loads(line) for line in server.stderr_text().splitlines() if line.strip()]
    ids = {record.get("request_id") for record in records}
    assert response.headers["x-request-id"] in ids and unknown.headers["x-request-id"] in ids


def test_init_then_admin_commands_then_serve(tmp_path):
    data = str(tmp_path / "data")
    first = cli("init", "--data-dir", data, check=True)
    token = first.stdout.strip().splitlines()[-1].split(": ")[-1]
    assert token.startswith("scai_")
    again = cli("init", "--data-dir", data, check=True)
    assert "already initialised" in again.stdout

    tenant = cli("admin", "tenant", "create", "acme", "--name", "Acme Corp", "--data-dir", data, check=True)
    tenant_id = tenant.stdout.split("\t")[0]
    assert tenant_id.startswith("tenant_")
    duplicate = cli("admin", "tenant", "create", "acme", "--data-dir", data)
    assert duplicate.returncode != 0 and "acme" in duplicate.stderr
    listing = cli("admin", "tenant", "list", "--data-dir", data, check=True).stdout
    assert "default" in listing and "acme" in listing

    created = cli("admin", "token", "create", "--tenant", "acme", "--role", "viewer", "--data-dir", data, check=True)
    token_id, viewer_token = created.stdout.strip().split("\t")
    assert cli("admin", "token", "create", "--tenant", "nope", "--role", "viewer", "--data-dir", data).returncode != 0

    server = Server(["--data-dir", data, "--port", "0"], ephemeral=False)
    try:
        assert server.token is None, "the admin token is printed on the first start only"
        admin = server.api(token)
        core = admin.create_core("Default tenant core")
        viewer = server.api(viewer_token)
        assert viewer.get("/cores").json()["items"] == [], "the acme viewer must not see the default tenant's Cores"
        assert viewer.get(f"/cores/{core['id']}").status_code == 404
        assert viewer.post("/cores", json={"name": "x", "ir": {}}).status_code == 403

        listed = cli("admin", "token", "list", "--tenant", "acme", "--data-dir", data, check=True).stdout
        assert token_id in listed and viewer_token not in listed
        cli("admin", "token", "revoke", token_id, "--data-dir", data, check=True)
        assert viewer.get("/cores").status_code == 401, "a revoked token stops working at once"
        assert cli("admin", "token", "revoke", token_id, "--data-dir", data).returncode != 0
    finally:
        assert server.stop() == 0


def test_a_port_in_use_is_one_clear_line_and_the_first_token_is_not_lost(tmp_path):
    holder = Server(["--ephemeral", "--port", "0"])
    try:
        port = holder.url.rsplit(":", 1)[1]
        data = str(tmp_path / "data")
        result = cli("serve", "--data-dir", data, "--port", port, timeout=30)
        assert result.returncode != 0
        errors = [line for line in result.stderr.splitlines() if line.startswith("scaicore-appliance:")]
        assert len(errors) == 1 and "in use" in errors[0] and port in errors[0]
        # The first start created an admin token before the bind failed: it must have been shown.
        token = result.stdout.strip().splitlines()[-1].split(": ")[-1]
        assert token.startswith("scai_")
        listing = cli("admin", "token", "list", "--tenant", "default", "--data-dir", data, check=True).stdout
        assert "admin" in listing
    finally:
        holder.stop()


def test_core_validate_accepts_the_valid_fixtures_and_names_every_problem(tmp_path):
    from conftest import REPO
    bundles = sorted(str(p) for p in (REPO / "fixtures" / "bundles").glob("*.json"))
    assert bundles
    result = cli("core", "validate", *bundles)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": valid (") == len(bundles)

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"ir_version": "2.0", "name": "b", "version": "1", "flows": {
        "main": {"triggers": [{"type": "api"}], "steps": [{"id": "a", "op": "log", "message": "{{ ghost }}"}]}}}))
    result = cli("core", "validate", bundles[0], str(broken))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert f"{bundles[0]}: valid" in lines[0]
    assert f"{broken}: ir_version: unsupported ir_version '2.0': this engine reads 1.x up to 1.0" in lines
    assert f"{broken}: flows.main.steps[0].message: undefined variable 'ghost'" in lines

    missing = cli("core", "validate", str(tmp_path / "nope.json"))
    assert missing.returncode != 0 and "cannot read" in missing.stderr


def test_a_second_server_on_the_same_data_directory_is_refused(tmp_path):
    data = str(tmp_path / "data")
    first = Server(["--data-dir", data, "--port", "0"], ephemeral=False)
    try:
        result = cli("serve", "--data-dir", data, "--port", "0", "--s3-port", "0", timeout=30)
        assert result.returncode != 0
        errors = [line for line in result.stderr.splitlines() if line.startswith("scaicore-appliance:")]
        assert len(errors) == 1 and "another scaicore-appliance is serving" in errors[0], result.stderr
        assert first.api().get("/healthz").status_code == 200, "the first server is untouched"
    finally:
        assert first.stop() == 0
