"""Human checkpoints over HTTP (docs/runtime.md, "Checkpoints"): who may resolve, self-approval,
one decision per user, n-of-m approvals, bad resolutions, reassignment, tenancy and list filters.
Every refused request is checked to leave no trace: the checkpoint, the run, the checkpoint's audit
entries and its notifications read the same afterwards."""
import json

import pytest

from api_assertions import assert_error, problem_paths, tag
from runtime_support import (RUN_TIMEOUT, assert_no_trace, audit_entries, bundle, checkpoint_flow, checkpoint_ids,
                             get_checkpoint, get_run, list_checkpoints, make_person, missing_checkpoint_id, notifications, open_checkpoint,
                             refused, resolve, server_admin, start_core, trace, wait_run)

SUPPLIER_SCHEMA = {
    "type": "object",
    "required": ["tax_id", "payment_terms_days"],
    "properties": {
        "tax_id": {"type": "string", "pattern": "^[A-Z]{2}[0-9A-Z]{8,12}$"},
        "payment_terms_days": {"type": "integer", "minimum": 0, "maximum": 120},
        "notes": {"type": "string"},
    },
    "additionalProperties": False,
}

IR = bundle("checkpoint-rules", {
    "single": checkpoint_flow("single.asked"),
    "double": checkpoint_flow("double.asked", required_approvals=2),
    "intake": checkpoint_flow("intake.asked", kind="input", title="Complete supplier {{ input.n }}", schema=SUPPLIER_SCHEMA),
})


# --- people and the Core -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def owner(server):
    """The ephemeral admin token: it posts the events, so it started every run (unless a test says otherwise)."""
    return server_admin(server)


@pytest.fixture(scope="module")
def alice(server):
    return make_person(server, "approver")


@pytest.fixture(scope="module")
def bob(server):
    return make_person(server, "approver")


@pytest.fixture(scope="module")
def carol(server):
    """An operator: holds checkpoints.resolve, but role:approver checkpoints are not hers."""
    return make_person(server, "operator")


@pytest.fixture(scope="module")
def vic(server):
    """A viewer: lacks checkpoints.resolve."""
    return make_person(server, "viewer")


@pytest.fixture(scope="module")
def other_admin(server):
    """An admin who did not start the runs."""
    return make_person(server, "admin")


@pytest.fixture(scope="module")
def core(owner):
    return start_core(owner.api, IR)


def ask(owner, core, flow="single", api=None):
    """Opens a fresh checkpoint of `flow`; answers (run, checkpoint)."""
    return open_checkpoint(api or owner.api, core["id"], f"{flow}.asked", {"n": tag()})


def finished_output(owner, run):
    return wait_run(owner.api, run["id"], "completed", timeout=RUN_TIMEOUT)["output"]


def audit_actions(api, checkpoint_id):
    return [(entry["action"], entry["actor"]) for entry in audit_entries(api, checkpoint_id)]


# --- who may resolve ---------------------------------------------------------------------------

def test_viewer_lacks_the_permission_and_changes_nothing(owner, core, vic, alice):
    run, checkpoint = ask(owner, core)
    before = trace(owner.api, checkpoint["id"], run["id"])
    for decision in ("approved", "rejected"):
        error = refused(resolve(vic.api, checkpoint["id"], decision=decision), 403, "forbidden", owner.api, before,
                        f"a viewer's {decision}")
        assert error["details"].get("permission") == "checkpoints.resolve", error
    # The checkpoint is intact: its assignee can still resolve it.
    assert resolve(alice.api, checkpoint["id"], decision="approved").status_code == 200


def test_operator_who_is_not_an_assignee_is_not_assignee(owner, core, carol, alice):
    run, checkpoint = ask(owner, core)
    before = trace(owner.api, checkpoint["id"], run["id"])
    for decision in ("approved", "rejected"):
        refused(resolve(carol.api, checkpoint["id"], decision=decision), 403, "not_assignee", owner.api, before,
                f"an operator's {decision} of a role:approver checkpoint")
    assert resolve(alice.api, checkpoint["id"], decision="approved").status_code == 200


def test_an_admin_who_did_not_start_the_run_may_resolve(owner, core, other_admin):
    run, checkpoint = ask(owner, core)
    response = resolve(other_admin.api, checkpoint["id"], decision="approved", comment="covering for the approvers")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resolved", response.json()
    output = finished_output(owner, run)
    assert output == {"decision": "approved", "approved": True, "data": {}, "comment": "covering for the approvers",
                      "by": [other_admin.user_id], "timed_out": False}, output


def test_self_approval_is_forbidden_but_rejection_is_allowed(server, owner, core):
    name = f"self-{tag()}"
    starter = make_person(server, "admin", name=name)
    same_user_as_approver = make_person(server, "approver", name=name)
    assert starter.user_id == same_user_as_approver.user_id, "both tokens must belong to one user"
    run, checkpoint = ask(owner, core, api=starter.api)
    assert run["started_by"] == starter.user_id, run
    before = trace(owner.api, checkpoint["id"], run["id"])
    refused(resolve(same_user_as_approver.api, checkpoint["id"], decision="approved"), 403, "self_approval_forbidden",
            owner.api, before, "approving one's own run as approver")
    refused(resolve(starter.api, checkpoint["id"], decision="approved"), 403, "self_approval_forbidden",
            owner.api, before, "approving one's own run as admin")

    rejected = resolve(same_user_as_approver.api, checkpoint["id"], decision="rejected", comment="I sent it by mistake")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "resolved", rejected.json()
    output = finished_output(owner, run)
    assert output == {"decision": "rejected", "approved": False, "data": {}, "comment": "I sent it by mistake",
                      "by": [starter.user_id], "timed_out": False}, output


# --- one decision per user, closed checkpoints -------------------------------------------------

def test_a_resolved_checkpoint_is_not_open(owner, core, alice, bob, other_admin):
    run, checkpoint = ask(owner, core)
    assert resolve(alice.api, checkpoint["id"], decision="approved").status_code == 200
    wait_run(owner.api, run["id"], "completed", timeout=RUN_TIMEOUT)
    before = trace(owner.api, checkpoint["id"], run["id"])
    assert before["checkpoint"]["status"] == "resolved", before["checkpoint"]
    for who, person, decision in [("the same approver", alice, "approved"), ("another approver", bob, "approved"),
                                  ("another approver", bob, "rejected"), ("an admin", other_admin, "rejected")]:
        refused(resolve(person.api, checkpoint["id"], decision=decision), 409, "checkpoint_not_open", owner.api, before,
                f"{who}'s {decision} of a resolved checkpoint")


def test_two_approvals_need_two_different_users(owner, core, alice, bob):
    run, checkpoint = ask(owner, core, flow="double")
    assert checkpoint["required_approvals"] == 2, checkpoint

    first = resolve(alice.api, checkpoint["id"], decision="approved", comment="fine by me")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "open" and body["resolution"] is None, f"one of two approvals leaves it open: {body}"
    assert [(a["by"], a["decision"], a["comment"]) for a in body["approvals"]] == [(alice.user_id, "approved", "fine by me")], body
    assert all(a["at"] for a in body["approvals"]), body
    assert get_run(owner.api, run["id"])["status"] == "suspended", "the run waits for the second approval"

    before = trace(owner.api, checkpoint["id"], run["id"])
    assert before["checkpoint"] == body, "the answer shows the checkpoint as stored"
    for decision in ("approved", "rejected"):
        refused(resolve(alice.api, checkpoint["id"], decision=decision), 409, "already_decided", owner.api, before,
                f"a second decision ({decision}) by the same user")

    second = resolve(bob.api, checkpoint["id"], decision="approved")
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["status"] == "resolved", body
    assert [(a["by"], a["decision"]) for a in body["approvals"]] == [(alice.user_id, "approved"), (bob.user_id, "approved")], body
    assert body["resolution"]["decision"] == "approved" and sorted(body["resolution"]["by"]) == sorted([alice.user_id, bob.user_id]), body
    output = finished_output(owner, run)
    assert output["decision"] == "approved" and output["approved"] is True and output["timed_out"] is False, output
    assert sorted(output["by"]) == sorted([alice.user_id, bob.user_id]), output

    actions = audit_actions(owner.api, checkpoint["id"])
    assert ("checkpoint.decide", alice.user_id) in actions, actions
    assert [a for a in actions if a[0] == "checkpoint.resolve"] == [("checkpoint.resolve", bob.user_id)], actions


def test_one_rejection_resolves_a_two_approval_checkpoint(owner, core, alice, bob):
    run, checkpoint = ask(owner, core, flow="double")
    assert resolve(alice.api, checkpoint["id"], decision="approved").status_code == 200
    rejected = resolve(bob.api, checkpoint["id"], decision="rejected", comment="over budget")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "resolved", rejected.json()
    output = finished_output(owner, run)
    assert output == {"decision": "rejected", "approved": False, "data": {}, "comment": "over budget",
                      "by": [bob.user_id], "timed_out": False}, output


# --- resolve and wait for the resumed run -------------------------------------------------------

def test_resolve_with_wait_answers_the_resumed_run(owner, core, alice):
    run, checkpoint = ask(owner, core)
    answer = resolve(alice.api, checkpoint["id"], decision="approved", comment="ok", wait=RUN_TIMEOUT)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "resolved", body
    resumed = body["run"]
    assert resumed["id"] == run["id"] and resumed["status"] == "completed", resumed
    assert resumed["output"] == {"decision": "approved", "approved": True, "data": {}, "comment": "ok",
                                 "by": [alice.user_id], "timed_out": False}, resumed
    assert get_run(owner.api, run["id"])["output"] == resumed["output"], "the answer shows the run as stored"
    assert {k: v for k, v in body.items() if k != "run"} == get_checkpoint(owner.api, checkpoint["id"]), body


def test_resolve_with_wait_that_does_not_resolve_answers_without_a_run(owner, core, alice, bob):
    run, checkpoint = ask(owner, core, flow="double")
    first = resolve(alice.api, checkpoint["id"], decision="approved", wait=RUN_TIMEOUT)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "open" and "run" not in first.json(), first.json()
    assert get_run(owner.api, run["id"])["status"] == "suspended", "one of two approvals resumes nothing"
    second = resolve(bob.api, checkpoint["id"], decision="rejected", wait=RUN_TIMEOUT)
    assert second.status_code == 200, second.text
    assert second.json()["run"]["status"] == "completed", second.json()
    assert second.json()["run"]["output"]["decision"] == "rejected", second.json()


# --- malformed resolutions ---------------------------------------------------------------------

BAD_SHAPES = {
    "missing decision": ({}, 400, "invalid_request", ["decision"]),
    "decision not a string": ({"decision": 5}, 400, "invalid_request", ["decision"]),
    "decision null": ({"decision": None}, 400, "invalid_request", ["decision"]),
    "comment not a string": ({"decision": "approved", "comment": 7}, 400, "invalid_request", ["comment"]),
    "data not an object": ({"decision": "approved", "data": "yes"}, 400, "invalid_request", ["data"]),
    "unknown field": ({"decision": "approved", "approved": True}, 400, "invalid_request", ["approved"]),
    "wait over a minute": ({"decision": "approved", "wait": 61}, 400, "invalid_request", ["wait"]),
    "wait negative": ({"decision": "approved", "wait": -1}, 400, "invalid_request", ["wait"]),
    "wait not a number": ({"decision": "approved", "wait": "soon"}, 400, "invalid_request", ["wait"]),
    "every problem at once": ({"decision": 1, "comment": [], "by": "me", "wait": True}, 400, "invalid_request", ["decision", "comment", "by", "wait"]),
    "top-level array": (b"[]", 400, "invalid_request", ["$", "decision"]),  # as for Cores: "$" and the required fields
    "malformed json": (b'{"decision": ', 400, "malformed_json", None),
    "empty body": (b"", 400, "malformed_json", None),
}


@pytest.fixture(scope="module")
def shape_victim(owner, core):
    """One open approval checkpoint that every malformed resolve is sent to (none may touch it)."""
    return ask(owner, core)


@pytest.mark.parametrize("case", list(BAD_SHAPES))
def test_malformed_resolution_is_400_and_changes_nothing(owner, alice, shape_victim, case):
    run, checkpoint = shape_victim
    body, status, code, paths = BAD_SHAPES[case]
    before = trace(owner.api, checkpoint["id"], run["id"])
    kwargs = {"data": body, "headers": {"Content-Type": "application/json"}} if isinstance(body, bytes) else {"json": body}
    response = alice.api.post(f"/checkpoints/{checkpoint['id']}/resolve", **kwargs)
    error = refused(response, status, code, owner.api, before, f"a resolve with {case}")
    if paths is not None:
        assert sorted(problem_paths(error)) == sorted(paths), error
    assert before["checkpoint"]["status"] == "open" and before["checkpoint"]["approvals"] == [], before["checkpoint"]


def test_decision_not_valid_for_the_kind_is_422(owner, core, alice):
    run, approval = ask(owner, core)
    before = trace(owner.api, approval["id"], run["id"])
    refused(resolve(alice.api, approval["id"], decision="submitted", data={"x": 1}), 422, "invalid_resolution", owner.api, before,
            "'submitted' on an approval checkpoint")

    run, intake = ask(owner, core, flow="intake")
    assert intake["kind"] == "input" and intake["schema"] == SUPPLIER_SCHEMA, intake
    before = trace(owner.api, intake["id"], run["id"])
    refused(resolve(alice.api, intake["id"], decision="approved"), 422, "invalid_resolution", owner.api, before,
            "'approved' on an input checkpoint")


BAD_DATA = {
    "no data": None,
    "missing a required field": {"tax_id": "DE123456789"},
    "pattern mismatch": {"tax_id": "de-123", "payment_terms_days": 30},
    "above the maximum": {"tax_id": "DE123456789", "payment_terms_days": 365},
    "below the minimum": {"tax_id": "DE123456789", "payment_terms_days": -1},
    "wrong type": {"tax_id": "DE123456789", "payment_terms_days": "30"},
    "not an integer": {"tax_id": "DE123456789", "payment_terms_days": 30.5},
    "additional property": {"tax_id": "DE123456789", "payment_terms_days": 30, "iban": "DE00"},
}


@pytest.fixture(scope="module")
def intake_victim(owner, core):
    return ask(owner, core, flow="intake")


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_data_not_matching_the_schema_is_422_and_changes_nothing(owner, alice, intake_victim, case):
    run, checkpoint = intake_victim
    before = trace(owner.api, checkpoint["id"], run["id"])
    body = {"decision": "submitted"}
    if BAD_DATA[case] is not None:
        body["data"] = BAD_DATA[case]
    error = refused(resolve(alice.api, checkpoint["id"], **body), 422, "invalid_resolution", owner.api, before,
                    f"submitted data with {case}")
    problems = error["details"].get("problems")
    assert isinstance(problems, list) and problems, f"details.problems should list what is wrong: {error}"


def test_matching_data_is_accepted(owner, core, alice):
    run, checkpoint = ask(owner, core, flow="intake")
    data = {"tax_id": "DE123456789", "payment_terms_days": 30, "notes": "net 30"}
    response = resolve(alice.api, checkpoint["id"], decision="submitted", data=data, comment="checked")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resolved", response.json()
    output = finished_output(owner, run)
    assert output == {"decision": "submitted", "approved": True, "data": data, "comment": "checked",
                      "by": [alice.user_id], "timed_out": False}, output


def test_an_input_checkpoint_may_be_rejected_without_data(owner, core, alice):
    run, checkpoint = ask(owner, core, flow="intake")
    response = resolve(alice.api, checkpoint["id"], decision="rejected", comment="unknown supplier")
    assert response.status_code == 200, response.text
    output = finished_output(owner, run)
    assert output["decision"] == "rejected" and output["approved"] is False and output["by"] == [alice.user_id], output


# --- reassignment ------------------------------------------------------------------------------

def test_admin_reassigns_to_a_user(owner, core, alice, carol):
    run, checkpoint = ask(owner, core)
    audit_before = audit_entries(owner.api, checkpoint["id"])
    response = owner.api.post(f"/checkpoints/{checkpoint['id']}/reassign",
                              json={"assignee": carol.as_assignee, "comment": "Carol covers this week"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["assignee"] == carol.as_assignee and body["status"] == "open", body
    assert get_checkpoint(owner.api, checkpoint["id"]) == body

    new_audit = audit_entries(owner.api, checkpoint["id"])[len(audit_before):]
    assert [(e["action"], e["actor"]) for e in new_audit] == [("checkpoint.reassign", owner.user_id)], new_audit
    assert carol.as_assignee in json.dumps(new_audit[0]["details"]), f"the audit entry names the new assignee: {new_audit[0]}"
    reassigned = [n for n in notifications(owner.api, checkpoint_id=checkpoint["id"]) if n["kind"] == "checkpoint.reassigned"]
    assert len(reassigned) == 1 and reassigned[0]["recipient"] == carol.as_assignee, reassigned

    assert checkpoint["id"] in checkpoint_ids(carol.api, assignee="me"), "the new assignee sees it in their queue"
    assert checkpoint["id"] not in checkpoint_ids(alice.api, assignee="me"), "the old assignees no longer do"

    before = trace(owner.api, checkpoint["id"], run["id"])
    refused(resolve(alice.api, checkpoint["id"], decision="approved"), 403, "not_assignee", owner.api, before,
            "a resolve by a holder of the old assignee role")
    approved = resolve(carol.api, checkpoint["id"], decision="approved")
    assert approved.status_code == 200, approved.text
    assert finished_output(owner, run)["by"] == [carol.user_id]


def test_current_assignee_hands_over_to_a_colleague(owner, core, alice, bob):
    run, checkpoint = ask(owner, core)
    response = alice.api.post(f"/checkpoints/{checkpoint['id']}/reassign", json={"assignee": bob.as_assignee})
    assert response.status_code == 200, response.text
    assert response.json()["assignee"] == bob.as_assignee, response.json()
    assert ("checkpoint.reassign", alice.user_id) in audit_actions(owner.api, checkpoint["id"])
    before = trace(owner.api, checkpoint["id"], run["id"])
    refused(resolve(alice.api, checkpoint["id"], decision="approved"), 403, "not_assignee", owner.api, before,
            "a resolve by the previous assignee")
    assert resolve(bob.api, checkpoint["id"], decision="approved").status_code == 200
    assert finished_output(owner, run)["by"] == [bob.user_id]


def test_non_assignee_cannot_reassign(owner, core, carol, vic):
    run, checkpoint = ask(owner, core)
    before = trace(owner.api, checkpoint["id"], run["id"])
    url = f"/checkpoints/{checkpoint['id']}/reassign"
    refused(carol.api.post(url, json={"assignee": carol.as_assignee}), 403, "not_assignee", owner.api, before,
            "a reassign by an operator who is not an assignee")
    refused(vic.api.post(url, json={"assignee": vic.as_assignee}), 403, "forbidden", owner.api, before,
            "a reassign by a viewer")


BAD_ASSIGNEES = {
    "bare name": {"assignee": "carol"},
    "unknown form": {"assignee": "group:finance"},
    "empty user": {"assignee": "user:"},
    "empty role": {"assignee": "role:"},
    "not a string": {"assignee": 5},
    "missing assignee": {"comment": "x"},
    "unknown field": {"assignee": "role:admin", "force": True},
}


@pytest.fixture(scope="module")
def reassign_victim(owner, core):
    return ask(owner, core)


@pytest.mark.parametrize("case", list(BAD_ASSIGNEES))
def test_malformed_reassign_is_400_and_changes_nothing(owner, reassign_victim, case):
    run, checkpoint = reassign_victim
    before = trace(owner.api, checkpoint["id"], run["id"])
    response = owner.api.post(f"/checkpoints/{checkpoint['id']}/reassign", json=BAD_ASSIGNEES[case])
    refused(response, 400, "invalid_request", owner.api, before, f"a reassign with {case}")


def test_reassigning_a_closed_checkpoint_is_409(owner, core, alice, bob):
    run, checkpoint = ask(owner, core)
    assert resolve(alice.api, checkpoint["id"], decision="approved").status_code == 200
    wait_run(owner.api, run["id"], "completed", timeout=RUN_TIMEOUT)
    before = trace(owner.api, checkpoint["id"], run["id"])
    refused(owner.api.post(f"/checkpoints/{checkpoint['id']}/reassign", json={"assignee": bob.as_assignee}),
            409, "checkpoint_not_open", owner.api, before, "a reassign of a resolved checkpoint")


# --- cancellation, tenancy, lists --------------------------------------------------------------

def test_cancelling_the_run_cancels_its_checkpoint(owner, core, alice):
    run, checkpoint = ask(owner, core)
    cancelled = owner.api.post(f"/runs/{run['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert get_run(owner.api, run["id"])["status"] == "cancelled"
    assert get_checkpoint(owner.api, checkpoint["id"])["status"] == "cancelled", "a cancelled run's open checkpoint is cancelled too"
    before = trace(owner.api, checkpoint["id"], run["id"])
    refused(resolve(alice.api, checkpoint["id"], decision="approved"), 409, "checkpoint_not_open", owner.api, before,
            "a resolve of a cancelled checkpoint")
    assert_error(owner.api.post(f"/runs/{run['id']}/cancel"), 409, "run_finished")


def test_another_tenants_checkpoint_is_missing(owner, core, other_tenant):
    run, checkpoint = ask(owner, core)
    before = trace(owner.api, checkpoint["id"], run["id"])
    missing_id = missing_checkpoint_id()

    def like_missing(foreign, missing):
        """A foreign checkpoint answers exactly as one that does not exist (ids aside)."""
        foreign_error = assert_error(foreign, 404, "not_found")
        missing_error = assert_error(missing, 404, "not_found")
        swap = lambda text: text.replace(missing_id, checkpoint["id"]) if isinstance(text, str) else text
        assert foreign_error["message"] == swap(missing_error["message"]), (foreign_error, missing_error)
        assert foreign_error["details"] == {k: swap(v) for k, v in missing_error["details"].items()}, (foreign_error, missing_error)

    like_missing(other_tenant.get(f"/checkpoints/{checkpoint['id']}"), other_tenant.get(f"/checkpoints/{missing_id}"))
    like_missing(other_tenant.post(f"/checkpoints/{checkpoint['id']}/resolve", json={"decision": "approved"}),
                 other_tenant.post(f"/checkpoints/{missing_id}/resolve", json={"decision": "approved"}))
    like_missing(other_tenant.post(f"/checkpoints/{checkpoint['id']}/reassign", json={"assignee": "role:admin"}),
                 other_tenant.post(f"/checkpoints/{missing_id}/reassign", json={"assignee": "role:admin"}))
    assert_error(other_tenant.get(f"/runs/{run['id']}"), 404, "not_found")
    assert checkpoint["id"] not in checkpoint_ids(other_tenant), "another tenant's list must not show it"
    assert checkpoint["id"] not in checkpoint_ids(other_tenant, assignee="me")
    assert checkpoint["id"] not in checkpoint_ids(other_tenant, core_id=core["id"])
    assert not [n for n in notifications(other_tenant) if n["checkpoint_id"] == checkpoint["id"]]
    assert_no_trace(owner.api, before, "another tenant's requests")


def test_list_filters(owner, core, alice, carol):
    open_run, open_one = ask(owner, core)
    resolved_run, resolved_one = ask(owner, core)
    assert resolve(alice.api, resolved_one["id"], decision="approved").status_code == 200
    cancelled_run, cancelled_one = ask(owner, core)
    assert owner.api.post(f"/runs/{cancelled_run['id']}/cancel").status_code == 200
    ours = {open_one["id"], resolved_one["id"], cancelled_one["id"]}

    def listed(api=None, **params):
        items = list_checkpoints(api or owner.api, **params)
        return items, {item["id"] for item in items} & ours

    for status, expected in [("open", {open_one["id"]}), ("resolved", {resolved_one["id"]}),
                             ("cancelled", {cancelled_one["id"]}), ("open,resolved", {open_one["id"], resolved_one["id"]})]:
        items, found = listed(status=status, core_id=core["id"])
        assert found == expected, f"status={status}: {found} != {expected}"
        assert all(item["status"] in status.split(",") and item["core_id"] == core["id"] for item in items), items
    items, found = listed(core_id=core["id"])
    assert found == ours and all(item["core_id"] == core["id"] for item in items), found

    other_core = start_core(owner.api, IR)
    items, found = listed(core_id=other_core["id"])
    assert found == set() and all(item["core_id"] == other_core["id"] for item in items), items

    items, found = listed(alice.api, assignee="me", status="open")
    assert open_one["id"] in found, "an approver's queue lists role:approver checkpoints"
    assert all(item["assignee"] in ("role:approver", alice.as_assignee) for item in items), items
    items, found = listed(carol.api, assignee="me")
    assert found == set(), "an operator is not assigned role:approver checkpoints"
    assert all(item["assignee"] in ("role:operator", carol.as_assignee) for item in items), items
    items, found = listed(owner.api, assignee="me")
    assert open_one["id"] not in found, "assignee=me means user:<caller> or role:<caller's role>, not everything an admin may do"
    items, found = listed(assignee="role:approver", status="open")
    assert open_one["id"] in found and all(item["assignee"] == "role:approver" for item in items), items
