"""Helpers shared by the test_s3_*.py end-to-end tests (not a test module itself).

Clients, payloads, ETag arithmetic, request signing for raw HTTP checks, and a non-ephemeral
server whose S3 port the test chooses. `conftest` is imported inside functions only: conftest
imports this module at its end, so a top-level import would be circular.
"""
import base64
import contextlib
import hashlib
import hmac
import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

KiB = 1024
MiB = 1024 * 1024
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
AWS = os.path.join(os.path.dirname(sys.executable), "aws")


# --- payloads and ETags ------------------------------------------------------------------------

def random_bytes(size):
    return os.urandom(size)


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def etag_of(data):
    """The ETag of a single-part object: the quoted MD5 hex of its bytes."""
    return f'"{md5_hex(data)}"'


def multipart_etag(parts):
    """The ETag of a completed multipart upload of `parts` (their bytes, in part order):
    the MD5 of the concatenated binary part MD5s, a dash and the part count, quoted."""
    digest = hashlib.md5(b"".join(hashlib.md5(part).digest() for part in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def split_parts(data, part_size):
    return [data[i:i + part_size] for i in range(0, len(data), part_size)] or [b""]


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


def content_md5(data):
    """The Content-MD5 header value (base64 of the binary MD5)."""
    return base64.b64encode(hashlib.md5(data).digest()).decode()


# --- names, ports, waiting ---------------------------------------------------------------------

def unique_bucket(prefix="b"):
    """A bucket name unique on this appliance (bucket names are global)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def free_port():
    """A loopback port that was free a moment ago (for a non-ephemeral server's --s3-port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout=30, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def wait_for_s3(url, timeout=30):
    """Waits until the S3 listener at `url` answers HTTP at all (an anonymous request: 403)."""
    def answers():
        try:
            return requests.get(url + "/", timeout=2).status_code
        except requests.RequestException:
            return None
    return wait_until(answers, timeout=timeout, what=f"the S3 listener at {url}")


# --- clients ---------------------------------------------------------------------------------

def client_config(**overrides):
    """Path-style SigV4 without retries: a failure shows as a failure, not as a hidden retry."""
    options = dict(signature_version="s3v4", s3={"addressing_style": "path"},
                   retries={"total_max_attempts": 1}, max_pool_connections=32,
                   connect_timeout=10, read_timeout=120)
    options.update(overrides)
    return Config(**options)


@dataclass
class S3Endpoint:
    """Where an S3 listener is and one key (of the default tenant) that may use it."""
    url: str
    region: str
    key_id: str
    secret: str
    data_dir: str

    @classmethod
    def from_ephemeral(cls, server):
        info = server.info
        return cls(info["s3_url"], info["s3_region"], info["s3_access_key_id"], info["s3_secret_access_key"], server.data_dir)

    @property
    def port(self):
        return urlsplit(self.url).port

    @property
    def netloc(self):
        return urlsplit(self.url).netloc

    def client(self, key_id=None, secret=None, **config):
        return boto3.session.Session().client(
            "s3", endpoint_url=self.url, region_name=self.region,
            aws_access_key_id=key_id or self.key_id, aws_secret_access_key=secret or self.secret,
            config=client_config(**config))


@contextlib.contextmanager
def s3_error(code, status):
    """Asserts the block raises a ClientError with S3 error `code` and HTTP `status`."""
    with pytest.raises(ClientError) as raised:
        yield raised
    response = raised.value.response
    assert response["Error"]["Code"] == code, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response


def error_status(exc):
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def status_of(response):
    return response["ResponseMetadata"]["HTTPStatusCode"]


def read_body(client, bucket, key, **kwargs):
    response = client.get_object(Bucket=bucket, Key=key, **kwargs)
    return response["Body"].read(), response


def list_keys_v2(client, bucket, **kwargs):
    """Every key of `bucket` via ListObjectsV2 continuation tokens, in the order returned."""
    keys, token = [], None
    while True:
        page = client.list_objects_v2(Bucket=bucket, **kwargs, **({"ContinuationToken": token} if token else {}))
        keys += [item["Key"] for item in page.get("Contents", [])]
        if not page["IsTruncated"]:
            return keys
        token = page["NextContinuationToken"]


def create_s3_key(data_dir, tenant="default", name=None):
    """`admin s3-key create`: answers (access key id, secret)."""
    from conftest import cli
    args = ["admin", "s3-key", "create", "--data-dir", str(data_dir), "--tenant", tenant]
    if name:
        args += ["--name", name]
    result = cli(*args, check=True)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line KEY<TAB>SECRET, got {result.stdout!r}"
    key_id, secret = lines[0].split("\t")
    return key_id, secret


# --- raw signed HTTP ---------------------------------------------------------------------------

def sign(method, url, key_id, secret, region, body=b"", headers=None):
    """Signs a request for `url` (path already URI-encoded) with S3 SigV4; answers its headers."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    S3SigV4Auth(Credentials(key_id, secret), "s3", region).add_auth(request)
    return dict(request.headers.items())


def signed_request(endpoint, method, path, query="", body=b"", headers=None, host=None, key_id=None, secret=None):
    """Sends a SigV4-signed request to `endpoint` for `path` (URI-encoded) and `query` (canonical
    form, e.g. "acl=" or "list-type=2"), with the Host header `host` (default: the endpoint's)."""
    host = host or endpoint.netloc
    suffix = path + (f"?{query}" if query else "")
    signed = sign(method, f"http://{host}{suffix}", key_id or endpoint.key_id, secret or endpoint.secret,
                  endpoint.region, body=body, headers=headers)
    signed["Host"] = host
    return requests.request(method, endpoint.url + suffix, data=body or None, headers=signed, timeout=120,
                            allow_redirects=False)


def parse_error(content):
    """An S3 error document as a dict of its child elements; asserts the <Error> shape."""
    root = ET.fromstring(content)
    assert root.tag.rsplit("}", 1)[-1] == "Error", content
    fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in root}
    assert fields.get("Code") and fields.get("Message"), content
    return fields


def assert_xml_error(response, status, code):
    """`response` (requests) is an S3 XML error with `status` and `code`; answers its fields."""
    assert response.status_code == status, f"expected {status} {code}, got {response.status_code}: {response.text}"
    assert "xml" in response.headers.get("content-type", ""), response.headers
    fields = parse_error(response.content)
    assert fields["Code"] == code, fields
    return fields


def _signing_key(secret, date, region):
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def chunk_signatures(signing_key, timestamp, scope, seed_signature, chunks):
    """The signature of each aws-chunked chunk, each chained to the one before (the first to the seed)."""
    previous, signatures = seed_signature, []
    for chunk in chunks:
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", timestamp, scope, previous, EMPTY_SHA256, sha256_hex(chunk)])
        previous = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
        signatures.append(previous)
    return signatures


def signed_streaming_put(endpoint, bucket, key, data, chunk_size=64 * KiB, corrupt_chunk=None):
    """PUTs `data` as an aws-chunked body with per-chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD),
    as SDKs do over plain HTTP. `corrupt_chunk=i` flips a byte of chunk i after signing it."""
    url = f"http://{endpoint.netloc}/{bucket}/{key}"
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    encoded_length = sum(len(f"{len(c):x};chunk-signature=".encode()) + 64 + 2 + len(c) + 2 for c in chunks)
    headers = {
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "Content-Length": str(encoded_length),
    }
    request = AWSRequest(method="PUT", url=url, headers=headers)
    # Plain SigV4Auth keeps the X-Amz-Content-SHA256 given (S3SigV4Auth would hash the empty body).
    SigV4Auth(Credentials(endpoint.key_id, endpoint.secret), "s3", endpoint.region).add_auth(request)
    timestamp = request.headers["X-Amz-Date"]
    scope = f"{timestamp[:8]}/{endpoint.region}/s3/aws4_request"
    previous = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    signing_key = _signing_key(endpoint.secret, timestamp[:8], endpoint.region)
    body = bytearray()
    for index, (chunk, signature) in enumerate(zip(chunks, chunk_signatures(signing_key, timestamp, scope, previous, chunks))):
        if index == corrupt_chunk:
            chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
        body += f"{len(chunk):x};chunk-signature={signature}\r\n".encode() + chunk + b"\r\n"
    assert len(body) == encoded_length
    sent = dict(request.headers.items())
    sent["Host"] = endpoint.netloc
    return requests.put(endpoint.url + f"/{bucket}/{key}", data=bytes(body), headers=sent, timeout=120)


def unsigned_trailer_put(endpoint, bucket, key, data, chunk_size=64 * KiB):
    """PUTs `data` as an aws-chunked body with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER),
    encoded by botocore's own AwsChunkedWrapper, as current SDKs send uploads."""
    body = AwsChunkedWrapper(io.BytesIO(data), checksum_cls=Crc32Checksum, checksum_name="x-amz-checksum-crc32",
                             chunk_size=chunk_size).read()
    headers = {
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "Content-Length": str(len(body)),
    }
    request = AWSRequest(method="PUT", url=f"http://{endpoint.netloc}/{bucket}/{key}", headers=headers)
    SigV4Auth(Credentials(endpoint.key_id, endpoint.secret), "s3", endpoint.region).add_auth(request)
    sent = dict(request.headers.items())
    sent["Host"] = endpoint.netloc
    return requests.put(endpoint.url + f"/{bucket}/{key}", data=body, headers=sent, timeout=120)


# --- the aws CLI --------------------------------------------------------------------------------

def run_aws(endpoint, home, *args, timeout=300):
    """Runs the aws CLI (v1, from this venv) against `endpoint` with only the given credentials:
    config and credential files point at paths that do not exist."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("SCAICORE_")}
    env.update({
        "AWS_ACCESS_KEY_ID": endpoint.key_id,
        "AWS_SECRET_ACCESS_KEY": endpoint.secret,
        "AWS_DEFAULT_REGION": endpoint.region,
        "AWS_CONFIG_FILE": os.path.join(str(home), "no-such-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(str(home), "no-such-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
        "HOME": str(home),
    })
    return subprocess.run([AWS, "--endpoint-url", endpoint.url, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


# --- a non-ephemeral server ----------------------------------------------------------------------

class PersistentS3Server:
    """A `serve --data-dir` appliance on a data directory of its own, with a fixed S3 port the test
    picked (a non-ephemeral server does not print a port-0 S3 port) and an S3 key made beforehand."""

    def __init__(self, data_dir, env=None):
        from conftest import cli
        self.data_dir = str(data_dir)
        self.env = dict(env or {})
        cli("init", "--data-dir", self.data_dir, check=True)
        self.key_id, self.secret = create_s3_key(self.data_dir, "default", name="e2e")
        self.s3_port = free_port()
        self.region = self.env.get("SCAICORE_S3_REGION", "garage")
        self.server = None

    @property
    def endpoint(self):
        return S3Endpoint(f"http://127.0.0.1:{self.s3_port}", self.region, self.key_id, self.secret, self.data_dir)

    def start(self, wait=True):
        from conftest import Server
        self.server = Server(["--data-dir", self.data_dir, "--port", "0", "--s3-port", str(self.s3_port)],
                             env=self.env, ephemeral=False)
        if wait:
            wait_for_s3(self.endpoint.url)
        return self.endpoint

    def kill(self):
        return self.server.stop(signal.SIGKILL)

    def stop(self):
        if self.server is not None and self.server.process.poll() is None:
            return self.server.stop()
        return None
