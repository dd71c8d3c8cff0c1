"""Listener limits (docs/configuration.md `http.*` and `s3.*`, docs/operations.md "Connection
limits"): a request head must arrive within the header timeout, a kept-alive connection may idle
for the idle timeout, a body must keep a minimum rate over a window — and nothing else is cut:
long polls, event streams, slow downstream calls and large uploads at a normal rate run as long
as they need. A client that goes away mid-request is no server error: it is logged at info,
counted under status 499, and nothing of its request is stored.

The limits are set small here (2–3 s) so the tests run quickly; the defaults are 10 s, 60 s and
1 KiB/s over 30 s.
"""
import os
import re
import socket
import threading
import time

import boto3
import pytest
from botocore.config import Config

from api_assertions import tag
from conftest import MINIMAL_IR, Server, snapshot
from runtime_load_support import FakePlugin, bundle, config_env, live_core, on_api, on_event, wait_run
from s3_support import S3Endpoint, wait_for_s3

HEADER, IDLE, WINDOW = 2, 3, 2
LIMITS = {}
for listener in ("http", "s3"):
    LIMITS.update({f"{listener}.header_timeout_seconds": HEADER, f"{listener}.idle_timeout_seconds": IDLE,
                   f"{listener}.min_body_bytes_per_second": 1024, f"{listener}.body_rate_window_seconds": WINDOW})


@pytest.fixture(scope="module")
def plugin():
    slow = FakePlugin(respond=lambda body, earlier: time.sleep(6) or (200, {"receipt": "slow"}))
    yield slow
    slow.close()


@pytest.fixture(scope="module")
def limited(plugin):
    appliance = Server(["--ephemeral", "--port", "0"],
                       env=config_env({**LIMITS, "plugins.endpoints": f"slow={plugin.url}/slow"}))
    yield appliance
    appliance.stop()


def address(url):
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def connect(url):
    sock = socket.create_connection(address(url), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_within(sock, seconds):
    """Seconds until the server closed `sock` (reading answers b'' or a reset), or None."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return time.monotonic() - started
    except ConnectionResetError:
        return time.monotonic() - started
    except socket.timeout:
        return None


def metric(appliance, name, **labels):
    text = appliance.api().get("/metrics").text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def s3_of(appliance):
    endpoint = S3Endpoint.from_ephemeral(appliance)
    wait_for_s3(endpoint.url)
    return endpoint


# --- slow loris ------------------------------------------------------------------------------------

@pytest.mark.parametrize("surface", ["api", "s3"])
def test_hundreds_of_half_sent_heads_are_closed_within_the_header_timeout_while_others_are_served(limited, surface):
    url = limited.url if surface == "api" else s3_of(limited).url
    before = metric(limited, "http_connections_closed_total", listener=surface, reason="header_timeout")
    loris = []
    for _ in range(300):
        sock = connect(url)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
        loris.append(sock)
    opened = time.monotonic()
    # Normal requests go on being served meanwhile.
    api = limited.api()
    for _ in range(10):
        started = time.monotonic()
        assert api.get("/cores").status_code == 200
        assert time.monotonic() - started < 2
    waits = [closed_within(sock, HEADER + 5 - (time.monotonic() - opened)) for sock in loris]
    assert all(wait is not None for wait in waits), f"{sum(w is None for w in waits)} of 300 still open after {HEADER + 5} s"
    assert time.monotonic() - opened < HEADER + 5
    for sock in loris:
        sock.close()
    assert metric(limited, "http_connections_closed_total", listener=surface, reason="header_timeout") - before >= 300


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(limited):
    sock = connect(limited.url)
    waited = closed_within(sock, HEADER + 4)
    assert waited is not None and HEADER - 0.5 <= waited <= HEADER + 2, waited


def test_a_kept_alive_connection_is_closed_after_the_idle_timeout_not_before(limited):
    sock = connect(limited.url)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
        answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer
    time.sleep(IDLE - 1)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # still open: a second request on it
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    waited = closed_within(sock, IDLE + 4)
    assert waited is not None and IDLE - 0.5 <= waited <= IDLE + 2, waited


# --- slow bodies -----------------------------------------------------------------------------------

def trickle(sock, head, seconds, rate=10):
    """Sends `head`, then `rate` bytes a second for `seconds` or until the server closes."""
    sock.sendall(head)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            sock.sendall(b"x" * rate)
        except (BrokenPipeError, ConnectionResetError):
            return True
        time.sleep(1)
    return closed_within(sock, 1) is not None


def test_a_body_slower_than_the_minimum_rate_is_cut_and_nothing_is_stored(limited):
    api = limited.api()
    before = snapshot(api)
    closed = metric(limited, "http_connections_closed_total", listener="api", reason="slow_body")
    sock = connect(limited.url)
    head = (f"POST /v1/modules/scaicore/cores HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {limited.token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n").encode()
    assert trickle(sock, head, 4 * WINDOW + 4), "a 10 B/s body was not cut"
    assert snapshot(api) == before
    assert metric(limited, "http_connections_closed_total", listener="api", reason="slow_body") == closed + 1


def test_a_large_s3_upload_at_a_normal_rate_runs_far_longer_than_every_limit(limited, tmp_path):
    endpoint = s3_of(limited)
    s3 = endpoint.client()
    bucket = f"big-{tag()}"
    s3.create_bucket(Bucket=bucket)
    size = 2 << 30  # 2 GiB in one PUT: one body, received for far longer than any limit
    source = tmp_path / "big"
    with open(source, "wb") as file:
        file.truncate(size)  # sparse: read back as zeros, nothing written here
    started = time.monotonic()
    with open(source, "rb") as body:
        s3.put_object(Bucket=bucket, Key="big", Body=body, ContentLength=size)
    took = time.monotonic() - started
    assert s3.head_object(Bucket=bucket, Key="big")["ContentLength"] == size
    assert took > 2 * max(HEADER, IDLE, WINDOW), f"the upload took {took:.1f} s: too short to prove anything"
    s3.delete_object(Bucket=bucket, Key="big")
    s3.delete_bucket(Bucket=bucket)


# --- what is never cut -----------------------------------------------------------------------------

def test_a_long_poll_outlasts_every_limit(limited):
    api = limited.api()
    core = live_core(api, bundle({"nap": on_api({"id": "z", "op": "sleep", "duration": "PT1H"}, {"id": "r", "op": "return", "value": 1})}))
    run_id = api.post(f"/cores/{core['id']}/invoke", json={"flow": "nap"}).json()["run_id"]
    wait_run(api, run_id, "sleeping")
    started = time.monotonic()
    response = api.get(f"/runs/{run_id}", params={"wait": 3 * (HEADER + IDLE)})
    assert response.status_code == 200 and response.json()["status"] == "sleeping"
    assert time.monotonic() - started >= 3 * (HEADER + IDLE) - 0.5


def test_an_event_stream_outlasts_every_limit(limited):
    api = limited.api()
    event = f"tick.{tag()}"
    core = live_core(api, bundle({"on": on_event(event, {"id": "r", "op": "return", "value": 1})}))
    response = api.session.get(limited.url + "/v1/modules/scaicore/events/stream", stream=True, timeout=60)
    assert response.status_code == 200
    lines = response.iter_lines()
    seen = []

    def read():
        for line in lines:
            seen.append(line)
            if event.encode() in line:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(2 * (HEADER + IDLE))
    assert api.post(f"/cores/{core['id']}/events", json={"event_name": event, "data": {}}).status_code == 202
    reader.join(10)
    assert any(event.encode() in line for line in seen), seen
    response.close()


def test_a_slow_downstream_call_outlasts_every_limit(limited):
    api = limited.api()
    core = live_core(api, bundle({"call": on_api({"id": "p", "op": "plugin", "plugin": "slow", "action": "wait", "args": {}, "out": "r"},
                                                 {"id": "done", "op": "return", "value": "{{ r.receipt }}"})}, plugins=["slow"]),
                     plugins=["slow"])
    started = time.monotonic()
    response = api.post(f"/cores/{core['id']}/invoke", json={"flow": "call", "wait": 30})
    assert response.status_code == 200, response.text
    assert response.json()["output"] == "slow" and time.monotonic() - started >= 6


# --- clients that go away ----------------------------------------------------------------------------

def test_a_client_gone_mid_body_is_a_499_logged_at_info_and_nothing_is_stored(limited):
    api = limited.api()
    before = snapshot(api)
    gone = metric(limited, "http_requests_total", status="499")
    errors = metric(limited, "http_requests_total", status="500")
    sock = connect(limited.url)
    sock.sendall((f"POST /v1/modules/scaicore/cores HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {limited.token}\r\n"
                  'Content-Length: 5000\r\n\r\n{"name": "half", "ir": ').encode())
    time.sleep(0.3)
    sock.close()
    deadline = time.monotonic() + 10
    while metric(limited, "http_requests_total", status="499") == gone and time.monotonic() < deadline:
        time.sleep(0.1)
    assert metric(limited, "http_requests_total", status="499") == gone + 1
    assert metric(limited, "http_requests_total", status="500") == errors
    assert snapshot(api) == before
    log = limited.stderr_text()
    assert re.search(r"info .*client closed the connection", log), log[-2000:]
    assert "stream ended at an unexpected time" not in "\n".join(l for l in log.splitlines() if " error " in l)


def test_an_s3_put_cut_mid_body_stores_nothing(limited):
    endpoint = s3_of(limited)
    s3 = endpoint.client()
    bucket = f"cut-{tag()}"
    s3.create_bucket(Bucket=bucket)
    # A correctly signed PUT (presigned URL) whose body stops half-way.
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "half"}, ExpiresIn=300)
    target = url.removeprefix(endpoint.url)
    sock = connect(endpoint.url)
    sock.sendall(f"PUT {target} HTTP/1.1\r\nHost: {endpoint.url.removeprefix('http://')}\r\nContent-Length: {1 << 20}\r\n\r\n".encode()
                 + b"y" * (300 << 10))
    time.sleep(0.5)
    sock.close()
    time.sleep(1)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    log = limited.stderr_text()
    assert not [line for line in log.splitlines() if " error " in line and "scaicore.s3" in line], log[-2000:]
    s3.delete_bucket(Bucket=bucket)
