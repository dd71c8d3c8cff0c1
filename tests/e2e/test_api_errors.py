"""Error answers over HTTP: 401, 403 (the permission matrix), 404, 405, request ids, bad input (400/413) that
changes nothing, and the JSON error shape of each."""
import json
import time

import pytest
import requests

from api_assertions import assert_error, missing_core_id, problem_paths, tag
from conftest import API, MINIMAL_IR, cli, issue_token, snapshot

MIB = 1024 * 1024
MAX_BODY = 2 * MIB  # http.max_body_bytes default
MAX_IR = 1 * MIB  # cores.max_ir_bytes default


@pytest.fixture(scope="module")
def anonymous(server):
    return server.api(token=None)


@pytest.fixture(scope="module")
def victim(admin):
    """A Core that bad requests aim at; it must never change."""
    return admin.create_core(f"Victim {tag()}", plugins=["mail"], runtime_config={"default_assignee": "role:approver"})


def raw(server, method, path, headers=None, **kwargs):
    """A request without the client's Authorization header."""
    return requests.request(method, server.url + API + path, headers=headers or {}, timeout=30, **kwargs)


# 401


BAD_AUTHORIZATION = {
    "no header": None,
    "basic scheme": "Basic YWRtaW46YWRtaW4=",
    "token scheme": "Token scai_abc",
    "bearer without token": "Bearer",
    "bearer with blank token": "Bearer    ",
    "unknown token": "Bearer scai_" + "A" * 43,
    "token without prefix": "Bearer not-a-scai-token",
    "oversized token": "Bearer scai_" + "x" * 500,
}


@pytest.mark.parametrize("authorization", list(BAD_AUTHORIZATION.values()), ids=list(BAD_AUTHORIZATION))
def test_401_for_bad_authorization(server, admin, victim, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    before = snapshot(admin)
    attempts = [
        ("GET", "/cores", {}), ("GET", f"/cores/{victim['id']}", {}), ("GET", "/audit", {}),
        ("POST", "/cores", {"json": {"name": "intruder", "ir": MINIMAL_IR}}),
        ("PATCH", f"/cores/{victim['id']}", {"json": {"name": "intruder"}}),
        ("DELETE", f"/cores/{victim['id']}", {}),
        ("POST", f"/cores/{victim['id']}/start", {}),
        # 401 comes before 404: an anonymous caller learns nothing about which Cores exist.
        ("GET", f"/cores/{missing_core_id()}", {}),
    ]
    for method, path, kwargs in attempts:
        error = assert_error(raw(server, method, path, headers, **kwargs), 401, "unauthorized")
        assert error["details"] == {}
    assert snapshot(admin) == before


def test_revoked_token_is_401(server):
    token_id, secret = issue_token(server.data_dir, "developer", user=f"leaver-{tag()}")
    client = server.api(secret)
    assert client.get("/cores").status_code == 200
    cli("admin", "token", "revoke", token_id, "--data-dir", server.data_dir, check=True)
    assert_error(client.get("/cores"), 401, "unauthorized")
    assert_error(client.post("/cores", json={"name": "after revoke", "ir": MINIMAL_IR}), 401, "unauthorized")


def test_expired_token_is_401(server):
    started = time.monotonic()
    result = cli("admin", "token", "create", "--data-dir", server.data_dir, "--tenant", "default", "--role", "admin",
                 "--expires", "1s", check=True)
    issued_in = time.monotonic() - started
    _, secret = result.stdout.strip().split("\t")
    client = server.api(secret)
    if issued_in < 0.8:
        # Issued less than a second ago: it still works (the control for the 401 below).
        assert client.get("/cores").status_code == 200
    time.sleep(2)
    error = assert_error(client.get("/cores"), 401, "unauthorized")
    assert "expired" in error["message"]


# 403: the permission matrix (Sources/Appliance/Identity/Role.swift)

MATRIX = {
    "admin": {"cores.read", "cores.write", "cores.operate", "audit.read"},
    "developer": {"cores.read", "cores.write", "cores.operate"},
    "operator": {"cores.read", "cores.operate"},
    "approver": {"cores.read"},
    "viewer": {"cores.read"},
}
# name: (method, path, permission, status of the target Core (None: no Core), success status)
ROUTES = {
    "list": ("GET", "/cores", "cores.read", None, 200),
    "get": ("GET", "/cores/{id}", "cores.read", "created", 200),
    "create": ("POST", "/cores", "cores.write", None, 201),
    "update": ("PATCH", "/cores/{id}", "cores.write", "created", 200),
    "delete": ("DELETE", "/cores/{id}", "cores.write", "created", 204),
    "start": ("POST", "/cores/{id}/start", "cores.operate", "created", 200),
    "stop": ("POST", "/cores/{id}/stop", "cores.operate", "running", 200),
    "pause": ("POST", "/cores/{id}/pause", "cores.operate", "running", 200),
    "resume": ("POST", "/cores/{id}/resume", "cores.operate", "paused", 200),
    "restart": ("POST", "/cores/{id}/restart", "cores.operate", "running", 200),
    "audit": ("GET", "/audit", "audit.read", None, 200),
}
SETUP = {"created": [], "running": ["start"], "paused": ["start", "pause"]}
LIFECYCLE_ROUTES = {"start", "stop", "pause", "resume", "restart"}
BODIES = {"create": {"name": "role test", "ir": MINIMAL_IR}, "update": {"name": "changed by role"}}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("role", list(MATRIX))
def test_permission_matrix(admin, role_client, role, route):
    method, template, permission, status, success = ROUTES[route]
    core = None
    if status is not None:
        core = admin.create_core(f"Matrix {role} {route} {tag()}")
        for action in SETUP[status]:
            core = admin.post(f"/cores/{core['id']}/{action}").json()
        assert core["status"] == status
    path = template.format(id=core["id"] if core else "")
    body = BODIES.get(route, {"reason": f"{role} test"} if route in LIFECYCLE_ROUTES else None)
    ids_before = [item["id"] for item in admin.get("/cores", params={"limit": 200}).json()["items"]]
    client = role_client(role)
    response = client.request(method, path, **({"json": body} if body is not None else {}))
    try:
        if permission in MATRIX[role]:
            assert response.status_code == success, f"{role} {route}: {response.status_code} {response.text}"
            if route == "get":
                assert response.json() == admin.get(path).json(), "every reader sees the same Core"
            if route == "create":
                core = response.json()
        else:
            error = assert_error(response, 403, "forbidden")
            assert error["details"] == {"role": role, "permission": permission}
            if core is not None:
                assert admin.get(f"/cores/{core['id']}").json() == core, "a forbidden request must change nothing"
            assert [item["id"] for item in admin.get("/cores", params={"limit": 200}).json()["items"]] == ids_before
    finally:
        if core is not None:
            admin.delete(f"/cores/{core['id']}")


# 404


@pytest.mark.parametrize("method, suffix", [
    ("GET", ""), ("PATCH", ""), ("DELETE", ""),
    ("POST", "/start"), ("POST", "/stop"), ("POST", "/pause"), ("POST", "/resume"), ("POST", "/restart"),
])
def test_unknown_core_is_404(admin, method, suffix):
    before = snapshot(admin)
    missing = missing_core_id()
    body = {"json": {"name": "x"}} if method == "PATCH" else {}
    error = assert_error(admin.request(method, f"/cores/{missing}{suffix}", **body), 404, "not_found")
    assert error["details"] == {"id": missing}
    assert missing in error["message"]
    assert snapshot(admin) == before


@pytest.mark.parametrize("bad_id", [
    "foo", "core_123", "core_" + "0" * 27, "CORE_" + "0" * 26, "core_" + "u" * 26, "core_" + "U" * 26,
    "tenant_" + "0" * 26, "core_" + "0" * 25 + "%21", "x" * 300, "1%20OR%201=1",
])
def test_malformed_core_id_is_404(admin, bad_id):
    for method, suffix, body in (("GET", "", None), ("PATCH", "", {"name": "x"}), ("DELETE", "", None), ("POST", "/start", None)):
        response = admin.request(method, f"/cores/{bad_id}{suffix}", **({"json": body} if body else {}))
        error = assert_error(response, 404, "not_found")
        assert len(error["details"]["id"]) <= 64, "the echoed id is bounded"


@pytest.mark.parametrize("method, path", [
    ("GET", API + "/nope"), ("GET", "/v1/nope"), ("GET", "/nope"), ("POST", API + "/cores/{id}/explode"),
    ("GET", API + "/cores/{id}/start/extra"), ("GET", API + "/audit/entries"), ("GET", "/v1/modules/other/cores"),
])
def test_unknown_route_is_404(server, admin, victim, method, path):
    response = admin.request(method, path.format(id=victim["id"]))
    error = assert_error(response, 404, "route_not_found")
    assert error["details"] == {}


# 405


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "/cores", {"GET", "POST"}),
    ("DELETE", "/cores", {"GET", "POST"}),
    ("PATCH", "/cores", {"GET", "POST"}),
    ("PUT", "/cores/{id}", {"GET", "PATCH", "DELETE"}),
    ("POST", "/cores/{id}", {"GET", "PATCH", "DELETE"}),
    ("GET", "/cores/{id}/start", {"POST"}),
    ("DELETE", "/cores/{id}/restart", {"POST"}),
    ("POST", "/audit", {"GET"}),
    ("POST", "/healthz", {"GET"}),
    ("DELETE", "/metrics", {"GET"}),
    ("PUT", "/openapi.json", {"GET"}),
])
def test_wrong_method_is_405_with_allow(admin, victim, method, path, allowed):
    if "GET" in allowed:
        allowed = allowed | {"HEAD"}  # HEAD is served wherever GET is
    before = snapshot(admin)
    response = admin.request(method, path.format(id=victim["id"]), json={"name": "x"})
    error = assert_error(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    assert set(error["details"]["allowed"]) == allowed
    assert snapshot(admin) == before


# Request ids


def test_request_id_on_every_response_and_distinct(server, admin, role_client, victim):
    core = admin.create_core(f"Request ids {tag()}")
    url = f"/cores/{core['id']}"
    responses = [
        admin.get("/cores"),  # 200
        admin.post("/cores", json={"name": f"rid {tag()}", "ir": MINIMAL_IR}),  # 201
        admin.get(url, headers={"If-None-Match": '"1"'}),  # 304
        admin.post("/cores", data=b"{"),  # 400
        raw(server, "GET", "/cores"),  # 401
        role_client("viewer").post("/cores", json={}),  # 403
        admin.get(f"/cores/{missing_core_id()}"),  # 404
        admin.get("/no-such-route"),  # 404 route
        admin.request("PUT", "/cores"),  # 405
        admin.post(f"{url}/stop"),  # 409
        admin.patch(url, json={"name": "x"}, headers={"If-Match": '"99"'}),  # 412
        admin.post("/cores", data=b" " * (MAX_BODY + 1)),  # 413
        admin.get("/healthz"), admin.get("/readyz"), admin.get("/metrics"), admin.get("/openapi.json"),
        admin.delete(url),  # 204
    ]
    statuses = [r.status_code for r in responses]
    assert statuses == [200, 201, 304, 400, 401, 403, 404, 404, 405, 409, 412, 413, 200, 200, 200, 200, 204], statuses
    ids = [r.headers.get("x-request-id") for r in responses]
    assert all(ids), list(zip(statuses, ids))
    assert len(set(ids)) == len(ids), "request ids must be distinct"
    # The same request twice gets two ids.
    assert admin.get("/healthz").headers["x-request-id"] != admin.get("/healthz").headers["x-request-id"]


# Bad input: 400 / 413, and nothing changes


def body_of(size_of_ir_pad):
    return {"name": "big", "ir": {**MINIMAL_IR, "pad": "x" * size_of_ir_pad}}


def chunks(total, piece=64 * 1024):
    sent = 0
    while sent < total:
        step = min(piece, total - sent)
        yield b" " * step
        sent += step


# (target, body as bytes / JSON value / generator factory, status, code, problem paths or None)
BAD_INPUT = {
    "create malformed json": ("create", b'{"name": "a",', 400, "malformed_json", None),
    "create trailing garbage": ("create", b'{"name": "a", "ir": {}} x', 400, "malformed_json", None),
    "create non-utf8": ("create", b'{"name": "\xff", "ir": {}}', 400, "invalid_encoding", None),
    "create latin-1 text": ("create", '{"name": "caf\u00e9", "ir": {}}'.encode("latin-1"), 400, "invalid_encoding", None),
    # A body that is no object is reported at "$", and the required fields it lacks with it.
    "create top-level array": ("create", b"[]", 400, "invalid_request", ["$", "name", "ir"]),
    "create top-level string": ("create", b'"core"', 400, "invalid_request", ["$", "name", "ir"]),
    "create top-level null": ("create", b"null", 400, "invalid_request", ["$", "name", "ir"]),
    "create wrong types": ("create", {"name": 1, "ir": [], "plugins": "mail", "runtime_config": []}, 400, "invalid_request",
                           ["name", "ir", "plugins", "runtime_config"]),
    "create missing name and ir": ("create", {}, 400, "invalid_request", ["name", "ir"]),
    "create missing ir": ("create", {"name": "no ir"}, 400, "invalid_request", ["ir"]),
    "create null name": ("create", {"name": None, "ir": {}}, 400, "invalid_request", ["name"]),
    "create empty name": ("create", {"name": "", "ir": {}}, 400, "invalid_request", ["name"]),
    "create name too long": ("create", {"name": "n" * 201, "ir": {}}, 400, "invalid_request", ["name"]),
    "create unknown field": ("create", {"name": "x", "ir": {}, "colour": "red"}, 400, "invalid_request", ["colour"]),
    "create bad slug": ("create", {"name": "x", "slug": "Not A Slug", "ir": {}}, 400, "invalid_request", ["slug"]),
    "create bad plugin": ("create", {"name": "x", "ir": {}, "plugins": ["ok", "Bad!"]}, 400, "invalid_request", ["plugins[1]"]),
    "create bad identity mode": ("create", {"name": "x", "ir": {}, "identity_mode": "root"}, 400, "invalid_request", ["identity_mode"]),
    "create environment": ("create", {"name": "x", "ir": {}, "environment": {"API_KEY": "secret"}}, 400, "invalid_request", ["environment"]),
    "create empty body": ("create", b"", 400, "malformed_json", None),
    "create oversized body": ("create", b'{"name": "x", "ir": {}}' + b" " * MAX_BODY, 413, "payload_too_large", None),
    "create oversized chunked body": ("create", lambda: chunks(MAX_BODY + 1), 413, "payload_too_large", None),
    "create ir too large": ("create", body_of(MAX_IR), 413, "ir_too_large", None),
    "patch malformed json": ("patch", b'{"name": ', 400, "malformed_json", None),
    "patch non-utf8": ("patch", b'{"name": "\xff"}', 400, "invalid_encoding", None),
    "patch top-level array": ("patch", b'[{"name": "x"}]', 400, "invalid_request", ["$"]),
    "patch wrong types": ("patch", {"name": 5, "ir": "text", "version": "1", "plugins": [1]}, 400, "invalid_request",
                          ["name", "ir", "version", "plugins[0]"]),
    "patch unknown field": ("patch", {"name": "x", "status": "running"}, 400, "invalid_request", ["status"]),
    "patch environment": ("patch", {"environment": {"A": "b"}}, 400, "invalid_request", ["environment"]),
    "patch mixed good and bad": ("patch", {"name": "would change", "slug": "BAD SLUG"}, 400, "invalid_request", ["slug"]),
    "patch empty body": ("patch", b"", 400, "malformed_json", None),
    "patch oversized body": ("patch", b'{"name": "x"}' + b" " * MAX_BODY, 413, "payload_too_large", None),
    "patch ir too large": ("patch", {"ir": body_of(MAX_IR)["ir"]}, 413, "ir_too_large", None),
    "action malformed json": ("action", b'{"reason": ', 400, "malformed_json", None),
    "action non-utf8": ("action", b'{"reason": "\xfe"}', 400, "invalid_encoding", None),
    "action top-level array": ("action", b"[]", 400, "invalid_request", ["$"]),
    "action wrong type": ("action", {"reason": 42}, 400, "invalid_request", ["reason"]),
    "action unknown field": ("action", {"reason": "x", "force": True}, 400, "invalid_request", ["force"]),
    "action oversized body": ("action", b'{"reason": "x"}' + b" " * MAX_BODY, 413, "payload_too_large", None),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_changes_nothing(admin, victim, case):
    target, body, status, code, paths = BAD_INPUT[case]
    method, path = {"create": ("POST", "/cores"), "patch": ("PATCH", f"/cores/{victim['id']}"),
                    "action": ("POST", f"/cores/{victim['id']}/start")}[target]
    if callable(body):
        kwargs = {"data": body()}
    elif isinstance(body, bytes):
        kwargs = {"data": body, "headers": {"Content-Type": "application/json"}}
    else:
        kwargs = {"json": body}
    before = snapshot(admin)
    error = assert_error(admin.request(method, path, **kwargs), status, code)
    if paths is not None:
        assert sorted(problem_paths(error)) == sorted(paths), error
    if code == "payload_too_large":
        assert error["details"]["limit"] == MAX_BODY
    if code == "ir_too_large":
        assert error["details"]["limit"] == MAX_IR and error["details"]["size"] > MAX_IR
    assert snapshot(admin) == before


def padded_ir(size):
    """A valid bundle whose compact JSON (sorted keys, as the server measures it) is `size` bytes."""
    base = {**MINIMAL_IR, "description": ""}
    compact = json.dumps(base, separators=(",", ":"), sort_keys=True)
    return {**base, "description": "x" * (size - len(compact))}


def test_ir_limit_boundary(admin):
    at_limit = admin.post("/cores", json={"name": f"ir at limit {tag()}", "ir": padded_ir(MAX_IR)})
    assert at_limit.status_code == 201, at_limit.text[:300]
    before = snapshot(admin)
    error = assert_error(admin.post("/cores", json={"name": "ir over limit", "ir": padded_ir(MAX_IR + 1)}), 413, "ir_too_large")
    assert error["details"]["size"] == MAX_IR + 1
    assert snapshot(admin) == before
    admin.delete(f"/cores/{at_limit.json()['id']}")


def test_body_limit_boundary(admin):
    core_json = json.dumps({"name": "body at limit", "ir": MINIMAL_IR}).encode()
    at_limit = admin.post("/cores", data=core_json + b" " * (MAX_BODY - len(core_json)))
    assert at_limit.status_code == 201, at_limit.text[:300]
    before = snapshot(admin)
    assert_error(admin.post("/cores", data=core_json + b" " * (MAX_BODY - len(core_json) + 1)), 413, "payload_too_large")
    assert snapshot(admin) == before
    admin.delete(f"/cores/{at_limit.json()['id']}")


def test_victim_survived(admin, victim):
    assert admin.get(f"/cores/{victim['id']}").json() == victim
