"""Fixtures for end-to-end tests: they drive the real scaicore-appliance binary over HTTP.

The binary is the debug build `swift build` produced (override with SCAICORE_BIN).
"""
import json
import os
import pathlib
import re
import queue
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import requests

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("SCAICORE_BIN", str(REPO / ".build" / "debug" / "scaicore-appliance"))
API = "/v1/modules/scaicore"
SYSTEM_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json")
# The smallest bundle that validates: one api flow that returns its input.
MINIMAL_IR = {"ir_version": "1.0", "name": "test", "version": "0.1.0",
              "flows": {"main": {"triggers": [{"type": "api"}], "steps": [{"id": "done", "op": "return", "value": "{{ input }}"}]}}}


def cli(*args, env=None, timeout=60, check=False):
    """Runs the binary with `args`; answers the CompletedProcess (text mode)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SCAICORE_")}
    full_env.update(env or {})
    result = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=full_env)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}: {result.stderr}")
    return result


class Server:
    """A running `scaicore-appliance serve` process."""

    def __init__(self, args, env=None, ephemeral=True, binary=None, prefix=None):
        """`prefix` runs the binary under another command (`unshare … sh -c '…; exec "$0" "$@"'`)."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("SCAICORE_")}
        full_env.update(env or {})
        # Non-ephemeral servers would all take the S3 listener's default port (3900): unless a
        # test chooses, give them a free one.
        if not ephemeral and "--s3-port" not in args and "SCAICORE_S3_PORT" not in full_env and "SCAICORE_S3_LISTEN" not in full_env:
            args = [*args, "--s3-port", "0"]
        # stderr goes to a file: a pipe nobody reads would fill up and block the server.
        self.stderr_file = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [*(prefix or []), binary or BIN, "serve", *args], stdout=subprocess.PIPE, stderr=self.stderr_file, text=True, env=full_env)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.token = None
        first = self._read_line(30)
        if ephemeral:
            info = json.loads(first)
            self.info = info
            self.url = info["url"]
            self.token = info.get("token")
            self.data_dir = info["data_dir"]
        else:
            match = re.search(r"serving at (http://\S+) \(data directory (.*)\)", first)
            assert match, f"unexpected first line: {first!r}"
            self.url, self.data_dir = match.group(1), match.group(2)
            # The S3 listener's line follows (unless s3.listen is off); a first start prints the
            # admin token on the lines after that.
            self.s3_url = None
            try:
                second = self._read_line(1)
            except AssertionError:
                second = ""
            s3_match = re.match(r"S3-compatible listener at (http://\S+)", second)
            if s3_match:
                self.s3_url = s3_match.group(1)
                try:
                    second = self._read_line(1)
                except AssertionError:
                    second = ""
            if second.startswith("First start"):
                self.token = self._read_line(5).strip()

    def _pump(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def _read_line(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                return self.lines.get(timeout=0.1).strip()
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    raise AssertionError(f"server exited {self.process.returncode}: {self.stderr_text()}")
        raise AssertionError("server printed nothing in time")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig` and waits; answers the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def stderr_text(self):
        """Everything the server wrote to stderr so far (its log)."""
        self.stderr_file.seek(0)
        return self.stderr_file.read()

    def api(self, token=None):
        return Api(self.url, token or self.token)


class Api:
    """A small client for the module API: paths are relative to /v1/modules/scaicore."""

    def __init__(self, url, token):
        self.url = url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kwargs):
        target = path if path in SYSTEM_PATHS or path.startswith("/v1/") else API + path
        return self.session.request(method, self.url + target, timeout=30, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def create_core(self, name="test core", **fields):
        body = {"name": name, "ir": MINIMAL_IR, **fields}
        response = self.post("/cores", json=body)
        assert response.status_code == 201, response.text
        return response.json()


def issue_token(data_dir, role, tenant="default", user=None):
    """Issues a token with the admin CLI on a (possibly live) data directory."""
    args = ["admin", "token", "create", "--data-dir", data_dir, "--tenant", tenant, "--role", role]
    if user:
        args += ["--user", user]
    result = cli(*args, check=True)
    token_id, secret = result.stdout.strip().split("\t")
    return token_id, secret


def create_tenant(data_dir, slug):
    result = cli("admin", "tenant", "create", slug, "--data-dir", data_dir, check=True)
    return result.stdout.strip().split("\t")[0]


@pytest.fixture(scope="module")
def server():
    """An ephemeral appliance shared by a test module."""
    running = Server(["--ephemeral", "--port", "0"])
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(server):
    return server.api()


@pytest.fixture(scope="module")
def other_tenant(server):
    """An admin client of a second tenant on the same appliance."""
    create_tenant(server.data_dir, "other")
    _, token = issue_token(server.data_dir, "admin", tenant="other")
    return server.api(token)


@pytest.fixture(scope="module")
def role_client(server):
    """role_client('viewer') → a client whose token carries that role in the default tenant."""
    cache = {}

    def make(role):
        if role not in cache:
            _, token = issue_token(server.data_dir, role)
            cache[role] = server.api(token)
        return cache[role]

    return make


def snapshot(api):
    """Every Core of the caller's tenant with its IR, to prove a failed request changed nothing."""
    items, cursor = [], None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = api.get("/cores", params=params).json()
        items += [api.get(f"/cores/{core['id']}").json() for core in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return items


# --- The S3 listener (tests/e2e/test_s3_*.py) ---------------------------------------------------
from s3_support import S3Endpoint, wait_for_s3  # noqa: E402  (s3_support imports conftest lazily)


@pytest.fixture(scope="module")
def s3_endpoint(server):
    """The S3 listener of the module's ephemeral appliance, with the default tenant's key."""
    endpoint = S3Endpoint.from_ephemeral(server)
    assert endpoint.url.startswith("http://127.0.0.1:"), endpoint.url
    wait_for_s3(endpoint.url)
    return endpoint


@pytest.fixture(scope="module")
def s3(s3_endpoint):
    """A boto3 S3 client (path style, SigV4, no retries) of the default tenant."""
    return s3_endpoint.client()
