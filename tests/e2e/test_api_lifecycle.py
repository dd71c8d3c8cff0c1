"""Lifecycle actions over HTTP: legal moves, refused moves (409 with legal actions), reasons in the audit log."""
import threading
import time

import pytest

from api_assertions import assert_error, core_in, etag_version, tag

ACTIONS = ["start", "stop", "pause", "resume", "restart"]

# Where each action leads from each status a user can reach over HTTP (DESIGN §5); absent = illegal.
OUTCOME = {
    "created": {"start": "running"},
    "running": {"stop": "stopped", "pause": "paused", "restart": "running"},
    "paused": {"resume": "running", "stop": "stopped", "restart": "running"},
    "stopped": {"start": "running"},
}
# The intermediate statuses each action passes through (recorded in the audit log).
ROUTE = {"start": ["starting", "running"], "stop": ["stopping", "stopped"], "pause": ["paused"],
         "resume": ["running"], "restart": ["restarting", "running"]}


def audit(api, core_id):
    response = api.get("/audit", params={"target_id": core_id, "limit": 200})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def status_moves(api, core_id):
    return [(e["details"]["from"], e["details"]["to"]) for e in audit(api, core_id) if e["action"] == "core.status"]


def test_full_cycle(admin):
    core = admin.create_core(f"Cycle {tag()}")
    url = f"/cores/{core['id']}"
    steps = [("start", "running"), ("pause", "paused"), ("resume", "running"), ("stop", "stopped"),
             ("start", "running"), ("restart", "running"), ("pause", "paused"), ("restart", "running"),
             ("pause", "paused"), ("stop", "stopped")]
    version = core["version"]
    for action, expected in steps:
        response = admin.post(f"{url}/{action}")
        assert response.status_code == 200, f"{action}: {response.text}"
        body = response.json()
        assert body["status"] == expected, (action, body)
        # Every transition step bumps the version once.
        assert body["version"] == version + len(ROUTE[action]), (action, body["version"], version)
        version = body["version"]
        assert etag_version(response) == version
        assert sorted(body["legal_actions"]) == sorted(OUTCOME[expected]), body["legal_actions"]
        stored = admin.get(url).json()
        assert stored["status"] == expected and stored["version"] == version
    # The audit log holds the whole path, unbroken, oldest first.
    moves = status_moves(admin, core["id"])
    expected_moves, current = [], "created"
    for action, _ in steps:
        for status in ROUTE[action]:
            expected_moves.append((current, status))
            current = status
    assert moves == expected_moves


@pytest.mark.parametrize("status", list(OUTCOME))
@pytest.mark.parametrize("action", ACTIONS)
def test_action_from_status(admin, status, action):
    core = core_in(admin, status)
    url = f"/cores/{core['id']}"
    response = admin.post(f"{url}/{action}")
    if action in OUTCOME[status]:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == OUTCOME[status][action]
        assert admin.get(url).json()["status"] == OUTCOME[status][action]
    else:
        error = assert_error(response, 409, "invalid_transition")
        assert error["details"]["status"] == status
        assert error["details"]["action"] == action
        assert error["details"]["legal_actions"] == core["legal_actions"]
        assert sorted(error["details"]["legal_actions"]) == sorted(OUTCOME[status])
        after = admin.get(url).json()
        assert after == core, "a refused action must change nothing"


def test_reason_is_recorded_with_actor_and_request_id(admin, role_client):
    core = admin.create_core(f"Reasons {tag()}")
    url = f"/cores/{core['id']}"
    started = admin.post(f"{url}/start", json={"reason": "deploy ticket 42"})
    assert started.status_code == 200, started.text
    assert started.json()["status_reason"] == "deploy ticket 42"

    operator = role_client("operator")
    paused = operator.post(f"{url}/pause", json={"reason": "maintenance window"})
    assert paused.status_code == 200, paused.text
    assert paused.json()["status_reason"] == "maintenance window"

    # An action without a reason clears the previous one.
    resumed = admin.post(f"{url}/resume")
    assert resumed.status_code == 200 and resumed.json()["status_reason"] is None

    entries = audit(admin, core["id"])
    assert [e["action"] for e in entries] == ["core.create"] + ["core.status"] * 4
    creation, starting, running, pausing, resuming = entries
    assert all(e["target_id"] == core["id"] and e["target_type"] == "core" for e in entries)
    assert (starting["details"]["from"], starting["details"]["to"]) == ("created", "starting")
    assert (running["details"]["from"], running["details"]["to"]) == ("starting", "running")
    assert starting["details"]["reason"] == running["details"]["reason"] == "deploy ticket 42"
    assert (pausing["details"]["from"], pausing["details"]["to"], pausing["details"]["reason"]) == ("running", "paused", "maintenance window")
    assert (resuming["details"]["from"], resuming["details"]["to"]) == ("paused", "running")
    assert "reason" not in resuming["details"]

    # The actor is the token's user: the admin for its actions, the operator for the pause.
    admin_actor = creation["actor"]
    assert admin_actor and admin_actor != "system"
    assert starting["actor"] == running["actor"] == resuming["actor"] == admin_actor
    assert pausing["actor"] and pausing["actor"] not in (admin_actor, "system")
    # Each entry names the request that made it.
    assert starting["request_id"] == running["request_id"] == started.headers["x-request-id"]
    assert pausing["request_id"] == paused.headers["x-request-id"]
    assert resuming["request_id"] == resumed.headers["x-request-id"]
    assert all(e["created_at"] for e in entries)
    assert [e["created_at"] for e in entries] == sorted(e["created_at"] for e in entries)


def test_audit_pages_through_history(admin):
    core = core_in(admin, "running")
    for action in ["pause", "resume", "stop"]:
        assert admin.post(f"/cores/{core['id']}/{action}").status_code == 200
    everything = audit(admin, core["id"])
    collected, cursor = [], None
    while True:
        params = {"target_id": core["id"], "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/audit", params=params).json()
        assert len(page["items"]) <= 2
        collected += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(collected) < 50
    assert collected == everything and len(everything) == 1 + 2 + 1 + 1 + 2


def test_reason_too_long_or_unknown_field_is_400(admin):
    core = admin.create_core(f"Bad reason {tag()}")
    url = f"/cores/{core['id']}"
    assert_error(admin.post(f"{url}/start", json={"reason": "x" * 1001}), 400, "invalid_request")
    assert_error(admin.post(f"{url}/start", json={"why": "x"}), 400, "invalid_request")
    assert admin.get(url).json() == core
    assert status_moves(admin, core["id"]) == []
    ok = admin.post(f"{url}/start", json={"reason": "x" * 1000})
    assert ok.status_code == 200 and ok.json()["status_reason"] == "x" * 1000


def test_lifecycle_honours_if_match(admin):
    core = core_in(admin, "running")
    url = f"/cores/{core['id']}"
    stale = f'"{core["version"] - 1}"'
    assert_error(admin.post(f"{url}/pause", headers={"If-Match": stale}), 412, "precondition_failed")
    assert admin.get(url).json()["status"] == "running"
    paused = admin.post(f"{url}/pause", headers={"If-Match": f'"{core["version"]}"'})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"


def test_delete_running_core(admin):
    core = core_in(admin, "running")
    url = f"/cores/{core['id']}"
    deleted = admin.delete(url)
    assert deleted.status_code == 204, deleted.text
    assert_error(admin.get(url), 404, "not_found")
    assert_error(admin.post(f"{url}/stop"), 404, "not_found")
    assert core["id"] not in {item["id"] for item in admin.get("/cores", params={"status": "running", "limit": 200}).json()["items"]}
    last = audit(admin, core["id"])[-1]
    assert last["action"] == "core.delete" and last["details"]["status"] == "running"
    assert last["request_id"] == deleted.headers["x-request-id"]


SETTLED = {"created", "running", "paused", "stopped"}


def test_action_racing_a_patch_never_strands_the_core(server, admin):
    """A PATCH that lands while an action is under way must not leave the Core in a transitional
    status (starting, stopping, restarting) from which no action leads out."""
    deadline = time.monotonic() + 8
    attempts = 0
    while time.monotonic() < deadline and attempts < 15:
        attempts += 1
        core = admin.create_core(f"Race {tag()}")
        url = f"/cores/{core['id']}"
        done = threading.Event()

        def patch_until_done():
            client = server.api()
            index = 0
            while not done.is_set():
                client.patch(url, json={"name": f"renamed {index}"})
                index += 1

        patcher = threading.Thread(target=patch_until_done)
        patcher.start()
        actor = server.api()
        outcomes = []
        try:
            for action in ["start", "restart", "pause", "resume", "stop"] * 4:
                response = actor.post(f"{url}/{action}")
                outcomes.append((action, response.status_code, response.json().get("status") or response.json()["error"]["code"]))
                current = admin.get(url).json()
                assert current["status"] in SETTLED and current["legal_actions"], \
                    f"after {outcomes[-1]} the Core is stranded in {current['status']!r} with legal_actions {current['legal_actions']}"
                if response.status_code != 200:
                    break
        finally:
            done.set()
            patcher.join(30)
