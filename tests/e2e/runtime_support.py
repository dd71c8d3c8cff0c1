"""Helpers shared by the test_runtime_*.py end-to-end tests (not a test module itself).

People (tokens with a user, a role and an e-mail address), runs that are waited for, checkpoints
and notifications read back, the "nothing changed" snapshot of a refused request, small bundles
built in Python, and the two fakes the runtime talks to: an SMTP sink (aiosmtpd) and a plugin
endpoint (a ThreadingHTTPServer).
"""
import datetime
import email
import email.policy
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from api_assertions import CROCKFORD, assert_error, tag
from conftest import REPO, Server, cli

INVOICE_IR = json.loads((REPO / "fixtures" / "bundles" / "invoice-approval.json").read_text())
TERMINAL = {"completed", "failed", "cancelled"}
# How long a run may take to reach a status on the slow debug build (seconds).
RUN_TIMEOUT = 30  # seconds a short run may take on the slow debug build
# The keys of the resolution a run receives (docs/runtime.md, docs/ir.md "checkpoint").
RESOLUTION_KEYS = {"decision", "approved", "data", "comment", "by", "timed_out"}


# --- configuration and processes ---------------------------------------------------------------

def config_env(settings):
    """{"notify.smtp.host": "127.0.0.1"} → {"SCAICORE_NOTIFY_SMTP_HOST": "127.0.0.1"} (values as text)."""
    return {"SCAICORE_" + key.upper().replace(".", "_"): str(value) for key, value in settings.items()}


def start_server(settings=None):
    """An ephemeral appliance with `settings` (configuration keys → values) in its environment."""
    return Server(["--ephemeral", "--port", "0"], env=config_env(settings or {}))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(probe, timeout=RUN_TIMEOUT, interval=0.1, what="condition"):
    """Calls `probe` until it answers something truthy; answers that. Fails naming `what` (a
    string, or a function of the last answer) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            text = what(last) if callable(what) else what
            raise AssertionError(f"timed out after {timeout}s waiting for {text}; last answer: {last!r}")
        time.sleep(interval)


def parse_time(text):
    """An RFC 3339 timestamp of the API ("2026-11-25T18:40:00.123Z") as an aware datetime."""
    assert isinstance(text, str) and text, f"not a timestamp: {text!r}"
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def seconds_between(earlier, later):
    return (parse_time(later) - parse_time(earlier)).total_seconds()


def missing_checkpoint_id():
    """A well-formed checkpoint id that no checkpoint has."""
    return "chk_" + "".join(secrets.choice(CROCKFORD) for _ in range(26))


# --- people ------------------------------------------------------------------------------------

def create_token(data_dir, role, user=None, email_address=None, tenant="default"):
    """`admin token create` with the new `--email` flag; answers (token_id, secret)."""
    args = ["admin", "token", "create", "--data-dir", data_dir, "--tenant", tenant, "--role", role]
    if user:
        args += ["--user", user]
    if email_address:
        args += ["--email", email_address]
    result = cli(*args, check=True)
    token_id, secret = result.stdout.strip().split("\t")
    return token_id, secret


@dataclass
class Person:
    """A token holder: its client, its secret and who `GET /me` says it is."""
    api: object
    secret: str
    token_id: str
    user_id: str
    user_name: str
    role: str
    email: str = None

    @property
    def as_assignee(self):
        return f"user:{self.user_id}"


def whoami(api):
    response = api.get("/me")
    assert response.status_code == 200, f"GET /me: {response.status_code} {response.text}"
    body = response.json()
    assert {"tenant_id", "user_id", "user_name", "role"} <= set(body), body
    return body


def make_person(server, role, name=None, email_address=None, tenant="default"):
    """A new token of `role` for the user `name` (a fresh user unless a name is given twice)."""
    name = name or f"{role}-{tag()}"
    token_id, secret = create_token(server.data_dir, role, user=name, email_address=email_address, tenant=tenant)
    api = server.api(secret)
    me = whoami(api)
    assert me["role"] == role, me
    return Person(api=api, secret=secret, token_id=token_id, user_id=me["user_id"], user_name=me["user_name"],
                  role=role, email=email_address)


def server_admin(server):
    """The ephemeral server's own admin token as a Person (it has no e-mail address)."""
    api = server.api()
    me = whoami(api)
    return Person(api=api, secret=server.token, token_id=None, user_id=me["user_id"], user_name=me["user_name"], role=me["role"])


# --- Cores, events, runs -----------------------------------------------------------------------

def live_core(api, ir, status="running", name=None, **fields):
    """A new Core of `ir`, brought to `status` (created, running, paused or stopped)."""
    response = api.post("/cores", json={"name": name or f"runtime {tag()}", "ir": ir, **fields})
    assert response.status_code == 201, response.text
    core = response.json()
    actions = {"created": [], "running": ["start"], "paused": ["start", "pause"], "stopped": ["start", "stop"]}[status]
    for action in actions:
        response = api.post(f"/cores/{core['id']}/{action}")
        assert response.status_code == 200, f"{action}: {response.text}"
        core = response.json()
    assert core["status"] == status, core
    return core


def start_core(api, ir, name=None, **fields):
    """Creates a Core from `ir` (with `plugins`, `runtime_config`, … as given) and starts it."""
    return live_core(api, ir, "running", name=name or f"{ir['name']} {tag()}", **fields)


def post_event(api, core_id, event_name, data, expected_runs=1):
    """Posts an event; asserts the 202 answer of the contract; answers its body."""
    response = api.post(f"/cores/{core_id}/events", json={"event_name": event_name, "data": data})
    assert response.status_code == 202, f"event {event_name}: {response.status_code} {response.text}"
    body = response.json()
    assert set(body) == {"event_id", "run_id", "run_ids", "status"}, body
    assert body["status"] == "accepted", body
    assert isinstance(body["run_ids"], list) and len(body["run_ids"]) == expected_runs, body
    assert body["run_id"] == (body["run_ids"][0] if body["run_ids"] else None), body
    return body


def get_run(api, run_id):
    response = api.get(f"/runs/{run_id}")
    assert response.status_code == 200, f"GET /runs/{run_id}: {response.status_code} {response.text}"
    return response.json()


def wait_run(api, run_id, statuses=TERMINAL, timeout=RUN_TIMEOUT):
    """Polls GET /runs/{id} until the run's status is one of `statuses` (a string or a set);
    answers the run. A run that reaches another final status fails at once, with its error."""
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    deadline = time.monotonic() + timeout
    while True:
        run = get_run(api, run_id)
        if run["status"] in wanted:
            return run
        if run["status"] in TERMINAL:
            raise AssertionError(f"run {run_id} ended {run['status']} (error {run.get('error')}, output {run.get('output')}) "
                                 f"while waiting for {sorted(wanted)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run['status']} after {timeout}s, waiting for {sorted(wanted)}: {run}")
        time.sleep(0.1)


def journal_keys(run):
    assert "journal" in run, f"GET /runs/{{id}} has no journal: {run}"
    return [entry["key"] for entry in run["journal"]]


def journal_entry(run, key):
    matches = [entry for entry in run["journal"] if entry["key"] == key]
    assert len(matches) == 1, f"expected one journal entry {key!r}, found {len(matches)}: {run['journal']}"
    return matches[0]


def assert_journal_well_formed(run):
    for entry in run["journal"]:
        assert {"key", "result", "started_at", "recorded_at", "duration_ms"} <= set(entry), entry
        assert isinstance(entry["duration_ms"], int) and entry["duration_ms"] >= 0, entry
        assert parse_time(entry["started_at"]) <= parse_time(entry["recorded_at"]), entry


def list_all(api, path, params=None, limit=200):
    """Every item of a paged list, following next_cursor."""
    items, cursor = [], None
    for _ in range(1000):
        query = {"limit": limit, **(params or {}), **({"cursor": cursor} if cursor else {})}
        response = api.get(path, params=query)
        assert response.status_code == 200, f"GET {path} {query}: {response.status_code} {response.text}"
        page = response.json()
        assert set(page) == {"items", "next_cursor"}, page
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
    raise AssertionError(f"GET {path} pages without end")


def core_events(api, core_id):
    return list_all(api, f"/cores/{core_id}/events")


# --- checkpoints, notifications, audit ---------------------------------------------------------

def get_checkpoint(api, checkpoint_id):
    response = api.get(f"/checkpoints/{checkpoint_id}")
    assert response.status_code == 200, f"GET /checkpoints/{checkpoint_id}: {response.status_code} {response.text}"
    return response.json()


def checkpoints_of_run(api, core_id, run_id):
    return [item for item in list_all(api, "/checkpoints", {"core_id": core_id}) if item["run_id"] == run_id]


def list_checkpoints(api, **params):
    """GET /checkpoints with filters (status, assignee, core_id), every page."""
    return list_all(api, "/checkpoints", params)


def checkpoint_ids(api, **params):
    return [item["id"] for item in list_checkpoints(api, **params)]


def open_checkpoint(api, core_id, event_name, data, timeout=RUN_TIMEOUT):
    """Posts an event whose flow stops at a checkpoint; answers (run, checkpoint) once suspended."""
    accepted = post_event(api, core_id, event_name, data)
    run = wait_run(api, accepted["run_id"], "suspended", timeout=timeout)
    assert run["checkpoint_id"], f"a suspended run names its checkpoint: {run}"
    checkpoint = get_checkpoint(api, run["checkpoint_id"])
    assert checkpoint["status"] == "open" and checkpoint["run_id"] == run["id"], checkpoint
    return run, checkpoint


def resolve(api, checkpoint_id, **body):
    return api.post(f"/checkpoints/{checkpoint_id}/resolve", json=body)


def notifications(api, **params):
    return list_all(api, "/notifications", params)


def addresses(notification):
    """The notification's `to` as a list of addresses (a JSON list, or one comma-separated string)."""
    to = notification["to"]
    if to is None:
        return []
    if isinstance(to, str):
        return [part.strip() for part in to.split(",") if part.strip()]
    assert isinstance(to, list), notification
    return to


def audit_entries(api, target_id):
    return list_all(api, "/audit", {"target_id": target_id})


def trace(api, checkpoint_id, run_id):
    """Everything a refused resolve or reassign must leave alone."""
    return {"checkpoint": get_checkpoint(api, checkpoint_id), "run": get_run(api, run_id),
            "audit": audit_entries(api, checkpoint_id), "notifications": notifications(api, checkpoint_id=checkpoint_id)}


def assert_no_trace(api, before, what):
    after = trace(api, before["checkpoint"]["id"], before["run"]["id"])
    assert after["checkpoint"] == before["checkpoint"], f"{what} changed the checkpoint:\n{before['checkpoint']}\n→ {after['checkpoint']}"
    assert after["run"] == before["run"], f"{what} changed the run:\n{before['run']}\n→ {after['run']}"
    new_audit = after["audit"][len(before["audit"]):]
    assert after["audit"] == before["audit"], f"{what} left audit entries: {new_audit}"
    assert after["notifications"] == before["notifications"], f"{what} changed notifications: {after['notifications']}"


def refused(response, status, code, api, before, what):
    """`response` is the error `status`/`code` and the request left no trace."""
    error = assert_error(response, status, code)
    assert_no_trace(api, before, what)
    return error


# --- bundles -----------------------------------------------------------------------------------

def checkpoint_step(step_id="ask", kind="approval", assignee="role:approver", title="Decide {{ input.n }}", **fields):
    return {"id": step_id, "op": "checkpoint", "kind": kind, "title": title, "assignee": assignee, "out": "d", **fields}


def checkpoint_flow(event, **step_fields):
    """A flow started by `event` that asks a checkpoint and returns the resolution it received."""
    return {"triggers": [{"type": "event", "event": event}],
            "steps": [checkpoint_step(**step_fields), {"id": "r", "op": "return", "value": "{{ d }}"}]}


def bundle(name, flows):
    return {"ir_version": "1.0", "name": name, "version": "0.1.0", "flows": flows}


def invoice(amount, currency="EUR", vendor="ACME Office Supplies"):
    number = f"INV-{tag().upper()}"
    return {"id": number, "vendor": vendor, "amount": amount, "currency": currency, "text": "24 chairs, 3 desks"}


# --- the SMTP sink -----------------------------------------------------------------------------

@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list
    raw: bytes
    message: object = None
    text: str = ""


def mail_text(message):
    """Subject and every text part of a parsed message, decoded (quoted-printable, base64, charset)."""
    parts = [str(message.get("Subject", ""))]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


class _SinkHandler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        mail = Mail(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), raw=raw, message=message,
                    text=mail_text(message))
        with self.sink.lock:
            self.sink.mails.append(mail)
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on 127.0.0.1 (no TLS, no AUTH) that keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.mails = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(_SinkHandler(self), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True)
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def received(self):
        with self.lock:
            return list(self.mails)

    def wait_for(self, predicate, timeout=RUN_TIMEOUT, what="a mail"):
        """The first mail for which `predicate(mail)` holds."""
        def probe():
            return next((mail for mail in self.received() if predicate(mail)), None)
        return wait_until(probe, timeout=timeout, what=lambda _: f"{what}; received {[(m.rcpt_tos, m.message['Subject']) for m in self.received()]}")


# --- a plugin endpoint -------------------------------------------------------------------------

@dataclass
class PluginCall:
    path: str
    body: object
    idempotency_key: str
    headers: dict = field(default_factory=dict)


class JsonEndpoint:
    """An HTTP/1.1 server on 127.0.0.1 that hands each POST's path, headers and body (parsed JSON,
    or the text when it is not JSON) to `handle`, which answers (status, JSON)."""

    def __init__(self, handle):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The client vanished mid-request (the appliance was SIGKILLed while sending):
                    # like any HTTP server, drop the incomplete request instead of acting on it.
                    self.close_connection = True
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                status, answer = handle(self.path, self.headers, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FakePlugin:
    """An HTTP plugin endpoint on 127.0.0.1 that records each POST and answers `answer(body)` as JSON."""

    def __init__(self, answer):
        self.calls = []
        self.lock = threading.Lock()

        def handle(path, headers, body):
            with self.lock:
                self.calls.append(PluginCall(path, body, headers.get("Idempotency-Key"), dict(headers)))
            return 200, answer(body)

        self.endpoint = JsonEndpoint(handle)

    def url(self, path="/pay"):
        return self.endpoint.url + path

    def recorded(self):
        with self.lock:
            return list(self.calls)

    def calls_for(self, predicate):
        return [call for call in self.recorded() if isinstance(call.body, dict) and predicate(call.body)]

    def stop(self):
        self.endpoint.stop()


def payments_answer(body):
    """What the fake payments provider answers: a receipt named after the invoice."""
    invoice_id = (body.get("args") or {}).get("invoice") if isinstance(body, dict) else None
    return {"receipt": f"rcpt-{invoice_id}"}
