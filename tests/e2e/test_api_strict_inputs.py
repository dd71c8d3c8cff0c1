"""Input checked exactly as documented (docs/ir.md "Names and limits", docs/api.md "runtime_config"):
flow names, event names in triggers and emits, step ids, runtime_config keys and its
default_assignee, names with control characters. Each refusal is a clear 4xx naming the field,
and nothing is stored."""
import copy

import pytest

from api_assertions import assert_error, problem_paths, tag
from conftest import MINIMAL_IR, snapshot
from runtime_support import whoami


def ir_with_flows(flows):
    ir = copy.deepcopy(MINIMAL_IR)
    ir["flows"] = flows
    return ir


OK_STEPS = [{"id": "done", "op": "return", "value": "ok"}]


def refused_ir(admin, ir, paths):
    before = snapshot(admin)
    error = assert_error(admin.post("/cores", json={"name": f"strict {tag()}", "ir": ir}), 422, "invalid_ir")
    found = [problem["path"] for problem in error["details"]["problems"]]
    for path in paths:
        assert path in found, (path, found)
    assert snapshot(admin) == before
    return error


@pytest.mark.parametrize("name, shown", [("bad name!", "bad name!"), ("x" * 10_000, "x" * 40 + "…"), ("9lives", "9lives"),
                                         ("with.dot", "with.dot"), ("é", "é")])
def test_a_flow_name_outside_the_documented_alphabet_is_refused(admin, name, shown):
    error = refused_ir(admin, ir_with_flows({name: {"triggers": [{"type": "api"}], "steps": OK_STEPS}}), [f"flows.{shown}"])
    assert len(error["message"]) < 2000, "a 10,000-character name is not echoed whole"


def test_a_flow_name_of_64_characters_is_accepted(admin):
    created = admin.post("/cores", json={"name": f"long {tag()}", "ir": ir_with_flows(
        {"f" * 64: {"triggers": [{"type": "api"}], "steps": OK_STEPS}})})
    assert created.status_code == 201, created.text


def test_an_event_trigger_longer_than_the_event_name_limit_is_refused(admin):
    refused_ir(admin, ir_with_flows({"main": {"triggers": [{"type": "event", "event": "e" * 201}], "steps": OK_STEPS}}),
               ["flows.main.triggers[0].event"])


def test_an_event_name_of_200_characters_is_accepted_in_a_trigger_and_in_post_events(admin):
    name = "e" * 200
    core = admin.create_core(f"events {tag()}", ir=ir_with_flows({"main": {"triggers": [{"type": "event", "event": name}], "steps": OK_STEPS}}))
    assert admin.post(f"/cores/{core['id']}/start").status_code == 200
    accepted = admin.post(f"/cores/{core['id']}/events", json={"event_name": name, "data": {}})
    assert accepted.status_code == 202 and len(accepted.json()["run_ids"]) == 1, accepted.text


@pytest.mark.parametrize("event", ["has space", "slash/ed", "", "ü"])
def test_an_emit_or_trigger_with_a_bad_event_name_is_refused(admin, event):
    refused_ir(admin, ir_with_flows({"main": {"triggers": [{"type": "event", "event": event}],
                                              "steps": [{"id": "e", "op": "emit", "event": event}, *OK_STEPS]}}),
               ["flows.main.triggers[0].event", "flows.main.steps[0].event"])


@pytest.mark.parametrize("step_id", ["", "line\nbreak", "nul\u0000", "s" * 201])
def test_a_step_id_that_is_empty_too_long_or_has_control_characters_is_refused(admin, step_id):
    refused_ir(admin, ir_with_flows({"main": {"triggers": [{"type": "api"}], "steps": [{"id": step_id, "op": "return", "value": 1}]}}),
               ["flows.main.steps[0].id"])


# --- runtime_config ---------------------------------------------------------------------------------

def test_runtime_config_refuses_unknown_keys_with_400(admin):
    before = snapshot(admin)
    error = assert_error(admin.post("/cores", json={"name": f"rc {tag()}", "ir": MINIMAL_IR, "runtime_config": {"x": 1, "temperature": 0.5}}),
                         400, "invalid_request")
    assert sorted(problem_paths(error)) == ["runtime_config.temperature", "runtime_config.x"], error
    error = assert_error(admin.post("/cores", json={"name": f"rc {tag()}", "ir": MINIMAL_IR, "runtime_config": {"default_assignee": 7}}),
                         400, "invalid_request")
    assert problem_paths(error) == ["runtime_config.default_assignee"], error
    assert snapshot(admin) == before


@pytest.mark.parametrize("assignee", ["root", "user:", "role:nonexistent-role", "user:user_01NOSUCHUSER0000000000000", "x" * 5000,
                                      "user:" + "u" * 5000, "role:"])
def test_a_default_assignee_that_names_no_role_or_user_is_refused_with_422(admin, assignee):
    before = snapshot(admin)
    error = assert_error(admin.post("/cores", json={"name": f"rc {tag()}", "ir": MINIMAL_IR,
                                                     "runtime_config": {"default_assignee": assignee}}), 422, "invalid_runtime_config")
    assert [p["path"] for p in error["details"]["problems"]] == ["runtime_config.default_assignee"], error
    assert len(error["message"]) < 500
    core = admin.create_core(f"rc {tag()}")
    assert_error(admin.patch(f"/cores/{core['id']}", json={"runtime_config": {"default_assignee": assignee}}), 422, "invalid_runtime_config")
    assert admin.get(f"/cores/{core['id']}").json()["runtime_config"] == {}
    admin.delete(f"/cores/{core['id']}")
    assert snapshot(admin) == before


def test_a_default_assignee_naming_a_role_or_a_user_of_the_tenant_is_kept(admin):
    me = whoami(admin)
    for assignee in ["role:approver", f"user:{me['user_id']}"]:
        created = admin.post("/cores", json={"name": f"rc {tag()}", "ir": MINIMAL_IR, "runtime_config": {"default_assignee": assignee}})
        assert created.status_code == 201, created.text
        assert created.json()["runtime_config"] == {"default_assignee": assignee}


def test_a_user_of_another_tenant_is_not_a_default_assignee(admin, other_tenant):
    foreign = whoami(other_tenant)["user_id"]
    assert_error(admin.post("/cores", json={"name": f"rc {tag()}", "ir": MINIMAL_IR,
                                             "runtime_config": {"default_assignee": f"user:{foreign}"}}), 422, "invalid_runtime_config")


@pytest.mark.parametrize("name", ["nul\u0000name", "bell\u0007", "line\nbreak", "del\u007f", "c1\u0085"])
def test_a_core_name_with_control_characters_is_refused_with_400(admin, name):
    before = snapshot(admin)
    error = assert_error(admin.post("/cores", json={"name": name, "ir": MINIMAL_IR}), 400, "invalid_request")
    assert problem_paths(error) == ["name"], error
    core = admin.create_core(f"named {tag()}")
    assert_error(admin.patch(f"/cores/{core['id']}", json={"name": name}), 400, "invalid_request")
    admin.delete(f"/cores/{core['id']}")
    assert snapshot(admin) == before
