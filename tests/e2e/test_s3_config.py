"""Configuring the S3 listener: the ephemeral JSON line, s3.* keys from the environment, --s3-port, listen off,
the object size limit, and the admin s3-key commands' help."""
import re
import socket

import pytest
import requests

from conftest import cli
from s3_support import (MiB, PersistentS3Server, etag_of, free_port, random_bytes, s3_error, sign, status_of,
                        unique_bucket)


def refuses_connections(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("command", [["admin", "s3-key"], ["admin", "s3-key", "create"], ["admin", "s3-key", "list"],
                                     ["admin", "s3-key", "revoke"]], ids=lambda c: " ".join(c))
def test_s3_key_commands_have_help(command):
    result = cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "USAGE:" in result.stdout


def test_the_ephemeral_line_names_the_listener_and_a_working_key(server, s3_endpoint):
    info = server.info
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", info["s3_url"]), info
    assert info["s3_url"] != info["url"], "the S3 listener has a port of its own"
    assert info["s3_region"] == "garage"
    assert info["s3_access_key_id"] and info["s3_secret_access_key"]
    assert status_of(s3_endpoint.client().list_buckets()) == 200
    listed = cli("admin", "s3-key", "list", "--data-dir", server.data_dir, "--tenant", "default", check=True).stdout
    assert info["s3_access_key_id"] in [line.split()[0] for line in listed.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    """An appliance whose s3.* settings come from the environment; --s3-port beats SCAICORE_S3_PORT."""
    env_port = free_port()
    node = PersistentS3Server(tmp_path_factory.mktemp("s3-config") / "data", env={
        "SCAICORE_S3_REGION": "eu-test-1",
        "SCAICORE_S3_ROOT_DOMAIN": "objects.test",
        "SCAICORE_S3_MAX_OBJECT_BYTES": str(8 * MiB),
        "SCAICORE_S3_PORT": str(env_port),
    })
    assert node.s3_port != env_port
    node.start()
    yield node, env_port
    node.stop()


def test_the_flag_port_wins_over_the_environment(configured):
    node, env_port = configured
    assert status_of(node.endpoint.client().list_buckets()) == 200
    assert refuses_connections(env_port)


def test_the_region_comes_from_configuration(configured):
    node, _ = configured
    client = node.endpoint.client()
    bucket = unique_bucket("region")
    client.create_bucket(Bucket=bucket)
    assert client.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "eu-test-1"


def test_the_root_domain_selects_virtual_hosted_style(configured):
    node, _ = configured
    endpoint = node.endpoint
    client = endpoint.client()
    bucket = unique_bucket("vhost")
    client.create_bucket(Bucket=bucket)
    host = f"{bucket}.objects.test:{endpoint.port}"
    headers = sign("PUT", f"http://{host}/via-root-domain", endpoint.key_id, endpoint.secret, endpoint.region, body=b"vh")
    headers["Host"] = host
    response = requests.put(endpoint.url + "/via-root-domain", data=b"vh", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert client.get_object(Bucket=bucket, Key="via-root-domain")["Body"].read() == b"vh"
    # The root domain itself is path style.
    host = f"objects.test:{endpoint.port}"
    headers = sign("GET", f"http://{host}/{bucket}/via-root-domain", endpoint.key_id, endpoint.secret, endpoint.region)
    headers["Host"] = host
    response = requests.get(endpoint.url + f"/{bucket}/via-root-domain", headers=headers, timeout=30)
    assert response.status_code == 200 and response.content == b"vh"


def test_a_single_put_above_the_limit_is_entity_too_large(configured):
    node, _ = configured
    client = node.endpoint.client()
    bucket = unique_bucket("limit")
    client.create_bucket(Bucket=bucket)
    at_limit = random_bytes(8 * MiB)
    assert client.put_object(Bucket=bucket, Key="at-limit", Body=at_limit)["ETag"] == etag_of(at_limit)
    assert client.head_object(Bucket=bucket, Key="at-limit")["ContentLength"] == 8 * MiB
    with s3_error("EntityTooLarge", 400):
        client.put_object(Bucket=bucket, Key="over-limit", Body=at_limit + b"!")
    with s3_error("404", 404):
        client.head_object(Bucket=bucket, Key="over-limit")


def test_listen_off_starts_no_s3_listener(tmp_path):
    node = PersistentS3Server(tmp_path / "data", env={"SCAICORE_S3_LISTEN": "off"})
    node.start(wait=False)
    try:
        assert requests.get(node.server.url + "/healthz", timeout=10).status_code == 200
        assert refuses_connections(node.s3_port)
    finally:
        assert node.stop() == 0


def test_a_bad_s3_setting_names_the_key(tmp_path):
    result = cli("serve", "--data-dir", str(tmp_path / "d"), env={"SCAICORE_S3_LISTEN": "sometimes"}, timeout=20)
    assert result.returncode != 0
    assert "'s3.listen'" in result.stderr
