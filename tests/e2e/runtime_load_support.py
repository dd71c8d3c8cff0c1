"""Helpers for test_runtime_events.py, test_runtime_runs.py and test_runtime_crash.py (not a test
module itself): small bundles built in Python, events and invocations, runs waited for, lists read
to the end, a Server-Sent Events reader, a fake plugin endpoint that counts calls per
Idempotency-Key, and an appliance on a data directory of its own that can be SIGKILLed and started
again.

The contract these follow is docs/runtime.md; every path is relative to /v1/modules/scaicore.
"""
import collections
import datetime
import json
import queue
import signal
import threading
import time

import requests

from api_assertions import tag
from conftest import API, Server
from runtime_support import (RUN_TIMEOUT, JsonEndpoint, config_env, get_run, journal_keys, list_all, live_core,  # noqa: F401 (shared helpers)
                             parse_time, wait_run, wait_until)
from runtime_support import core_events as events_of  # noqa: F401

# Statuses a run leaves by itself (the dispatcher, a timer); `suspended` waits for a human.
MOVING = frozenset({"queued", "running", "sleeping"})
JOURNAL_ENTRY_KEYS = {"key", "result", "started_at", "recorded_at", "duration_ms"}
RUN_KEYS = {"id", "core_id", "flow", "status", "trigger", "input", "output", "error", "entity", "started_by",
            "checkpoint_id", "wake_at", "created_at", "updated_at", "finished_at"}
EVENT_ITEM_KEYS = {"id", "core_id", "event_name", "data", "source", "source_run_id", "status", "run_ids", "created_at"}
STREAM_KEYS = {"event_id", "core_id", "event_name", "data", "source", "run_ids", "source_run_id"}


# --- configuration ------------------------------------------------------------------------------


def ephemeral_server(settings=None):
    """An ephemeral appliance (own temporary data directory) with configuration `settings`."""
    return Server(["--ephemeral", "--port", "0"], env=config_env(settings or {}))


# --- time and waiting -----------------------------------------------------------------------------


# --- bundles ----------------------------------------------------------------------------------------

def bundle(flows, name="t", **extra):
    """A complete IR bundle of `flows` (flow name → flow); `extra` adds top-level fields
    (`plugins`, `entities`, `models`, `limits`)."""
    return {"ir_version": "1.0", "name": name, "version": "0.1.0", "flows": flows, **extra}


def on_event(event, *steps, entity=None):
    flow = {"triggers": [{"type": "event", "event": event}], "steps": list(steps)}
    if entity:
        flow["entity"] = entity
    return flow


def on_api(*steps, entity=None):
    flow = {"triggers": [{"type": "api"}], "steps": list(steps)}
    if entity:
        flow["entity"] = entity
    return flow


def returns(value="{{ input }}", step_id="done"):
    return {"id": step_id, "op": "return", "value": value}


def event_name(prefix="e"):
    """An event name no other test uses: emitted events reach every subscribing Core of a tenant,
    so tests sharing an appliance must not share event names."""
    return f"{prefix}.{tag()}"


# --- Cores, events, invocations -------------------------------------------------------------------

def post_event(api, core_id, name, data=None, key=None, **kwargs):
    """POST /cores/{id}/events; answers the response (any status)."""
    body = {"event_name": name}
    if data is not None:
        body["data"] = data
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(f"/cores/{core_id}/events", json=body, headers=headers, **kwargs)


def accepted(response, runs=1):
    """Checks a 202 answer of POST /cores/{id}/events and answers its body."""
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"event_id", "run_id", "run_ids", "status"}, body
    assert body["status"] == "accepted", body
    assert isinstance(body["event_id"], str) and body["event_id"], body
    assert isinstance(body["run_ids"], list) and len(body["run_ids"]) == runs, body
    assert len(set(body["run_ids"])) == runs, body
    assert body["run_id"] == (body["run_ids"][0] if runs else None), body
    return body


def fire(api, core_id, name, data=None, runs=1, **kwargs):
    """Posts an event that must be accepted with `runs` runs; answers the 202 body."""
    return accepted(post_event(api, core_id, name, data, **kwargs), runs)


def invoke(api, core_id, flow, input=None, wait=None, key=None):
    body = {"flow": flow}
    if input is not None:
        body["input"] = input
    if wait is not None:
        body["wait"] = wait
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(f"/cores/{core_id}/invoke", json=body, headers=headers)


# --- runs ----------------------------------------------------------------------------------------------


def runs_of(api, core_id, status=None):
    return list_all(api, f"/cores/{core_id}/runs", {"status": status} if status else None)


# --- Server-Sent Events --------------------------------------------------------------------------------

class EventStream:
    """GET /events/stream read in a thread: each message {"event", "data" (parsed JSON), "comment"s
    skipped} lands in `messages`. `connected` is set once the response headers arrived."""

    def __init__(self, url, token):
        self.url = url + API + "/events/stream"
        self.token = token
        self.messages = queue.Queue()
        self.seen = []
        self.connected = threading.Event()
        self.status = None
        self.error = None
        self.response = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            self.response = requests.get(self.url, headers={"Authorization": f"Bearer {self.token}",
                                                            "Accept": "text/event-stream"},
                                         stream=True, timeout=(5, 60))
            self.status = self.response.status_code
            self.content_type = self.response.headers.get("content-type", "")
            self.connected.set()
            if self.status != 200:
                return
            event, data = None, []
            for raw in self._lines():
                line = raw.decode("utf-8")
                if line == "":
                    if event is not None or data:
                        text = "\n".join(data)
                        message = {"event": event or "message", "raw": text}
                        try:
                            message["data"] = json.loads(text)
                        except ValueError:
                            message["data"] = None
                        self.messages.put(message)
                    event, data = None, []
                elif line.startswith(":"):
                    continue
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "event":
                        event = value
                    elif field == "data":
                        data.append(value)
        except Exception as error:  # closed by close(), or the server went away
            self.error = error
        finally:
            self.connected.set()

    def _lines(self):
        """The stream's lines without their end (LF, CRLF or CR), read byte by byte so that a
        message is seen as soon as it arrives."""
        buffer, after_cr = b"", False
        for byte in self.response.iter_content(chunk_size=1):
            if byte == b"\n":
                if not after_cr:
                    yield buffer
                    buffer = b""
                after_cr = False
            elif byte == b"\r":
                yield buffer
                buffer, after_cr = b"", True
            else:
                buffer += byte
                after_cr = False

    def wait_connected(self, timeout=10):
        """Waits for the response headers; answers the HTTP status (None if nothing came)."""
        self.connected.wait(timeout)
        return self.status

    def next_matching(self, predicate, timeout=RUN_TIMEOUT):
        """The first message (seen or coming) for which `predicate(message)` holds."""
        for message in self.seen:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.messages.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(message)
            if predicate(message):
                return message
        raise AssertionError(f"no matching message on the stream in {timeout}s; saw {self.seen[-10:]}")

    def drain(self):
        """Everything received so far."""
        while True:
            try:
                self.seen.append(self.messages.get_nowait())
            except queue.Empty:
                return list(self.seen)

    def close(self):
        if self.response is not None:
            try:
                self.response.close()
            except Exception:
                pass


# --- a fake plugin endpoint --------------------------------------------------------------------------

class FakePlugin:
    """An HTTP endpoint for plugins.endpoints that records every call: Idempotency-Key, body, the
    `incarnation` the test says is current (which appliance process made the call), and its time.

    By default it answers like an idempotent payment service: the first successful call for a key
    gets a new receipt, later calls for the same key get the same one. `flaky(body)` → True makes the
    first call for that key answer 503 (the bridge must retry it with the same key).
    `respond(body, earlier)` (earlier: the calls already made with the same key) may answer
    (status, JSON) to override the answer."""

    def __init__(self, flaky=None, respond=None):
        self.lock = threading.Lock()
        self.calls = []  # dicts: key, body, path, incarnation, at, status
        self.receipts = {}  # key → receipt
        self.incarnation = 0
        self.flaky = flaky or (lambda body: False)
        self.respond = respond
        self.endpoint = JsonEndpoint(lambda path, headers, body: self._answer(headers.get("Idempotency-Key"), body, path))
        self.url = self.endpoint.url

    def _answer(self, key, body, path):
        with self.lock:
            earlier = [dict(call) for call in self.calls if call["key"] == key]
            custom = self.respond(body, earlier) if self.respond else None
            if custom is not None:
                status, answer = custom
            elif not earlier and key is not None and self.flaky(body):
                status, answer = 503, {"error": "try again"}
            else:
                if key not in self.receipts:
                    self.receipts[key] = f"r-{len(self.receipts) + 1:06d}"
                status, answer = 200, {"receipt": self.receipts[key], "args": body.get("args") if isinstance(body, dict) else None}
            self.calls.append({"key": key, "body": body, "path": path, "incarnation": self.incarnation,
                               "at": time.time(), "status": status})
            return status, answer

    def calls_by_key(self):
        with self.lock:
            grouped = collections.defaultdict(list)
            for call in self.calls:
                grouped[call["key"]].append(dict(call))
            return dict(grouped)

    def close(self):
        self.endpoint.stop()


# --- an appliance that crashes ---------------------------------------------------------------------

def ready(url, timeout=2):
    try:
        return requests.get(url + "/readyz", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


class CrashableAppliance:
    """`serve --data-dir DIR --port 0` on a data directory of its own, started again after each
    SIGKILL. The admin token printed by the first start is kept; `url` is None while no process
    serves (clients in other threads read it before each request: the port changes each start)."""

    def __init__(self, data_dir, settings=None):
        self.data_dir = str(data_dir)
        self.env = config_env(settings or {})
        self.token = None
        self.server = None
        self.incarnation = 0
        self.stderr_tails = []
        self.on_start = []  # callables(incarnation) run before a new process starts
        self.before_serving = []  # callables(server) run once /readyz answers, before `url` is published

    @property
    def url(self):
        server = self.server
        return server.url if server is not None else None

    def start(self, timeout=30):
        self.incarnation += 1
        for hook in self.on_start:
            hook(self.incarnation)
        server = Server(["--data-dir", self.data_dir, "--port", "0"], env=self.env, ephemeral=False)
        if self.token is None:
            assert server.token, "the first start prints an admin token"
            self.token = server.token
        try:
            wait_until(lambda: ready(server.url), timeout=timeout, interval=0.05, what=f"{server.url}/readyz to answer 200")
            for check in self.before_serving:
                check(server)
        except BaseException:
            server.stop(signal.SIGKILL)
            self.stderr_tails.append(server.stderr_text()[-4000:])
            raise
        self.server = server
        return server

    def api(self, token=None):
        from conftest import Api
        return Api(self.url, token or self.token)

    def kill(self):
        server, self.server = self.server, None
        status = server.stop(signal.SIGKILL)
        self.stderr_tails.append(server.stderr_text()[-2000:])
        return status

    def stop(self):
        server, self.server = self.server, None
        if server is not None and server.process.poll() is None:
            return server.stop()
        return None


# --- failures ------------------------------------------------------------------------------------------

def assert_failed(run, code, step_id, json_path=None, message=None):
    """`run` failed with `code` at the step `step_id`. docs/runtime.md names the step by its id/key
    (`"step": "pay"`); the engine's own errors carry the step's JSON path in the bundle
    (`flows.F.steps[2]`): either form is accepted. Answers the error."""
    assert run["status"] == "failed", run
    error = run["error"]
    assert isinstance(error, dict) and {"code", "message", "step"} <= set(error), run
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    if message is not None:
        assert error["message"] == message, error
    assert error["step"] in {step_id, json_path} - {None}, error
    assert run["output"] is None, run
    assert run["finished_at"], run
    return error
