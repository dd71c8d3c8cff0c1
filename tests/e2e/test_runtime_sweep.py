"""The checkpoint sweep (docs/runtime.md, "Expiry, escalation and reminders"): with a one-second
sweep, expired checkpoints continue, fail or escalate their runs as their step says, a checkpoint
resolved in time is left alone, and a reminder goes out once when the deadline draws near."""
import time

import pytest

from api_assertions import tag
from runtime_support import (RESOLUTION_KEYS, assert_journal_well_formed, bundle, checkpoint_flow, checkpoints_of_run,
                             get_checkpoint, journal_entry, make_person, notifications, parse_time, post_event, resolve,
                             server_admin, start_core, start_server, wait_run, wait_until)

# Generous: a 2-second deadline plus a sweep interval, on a slow debug build.
EXPIRY_TIMEOUT = 45
ESCALATION_SECONDS = 5

IR = bundle("sweep-rules", {
    "cont": checkpoint_flow("sweep.continue", timeout="PT2S", on_timeout="continue"),
    "fail": checkpoint_flow("sweep.fail", timeout="PT2S", on_timeout="fail"),
    "esc": checkpoint_flow("sweep.escalate", timeout=f"PT{ESCALATION_SECONDS}S", on_timeout="escalate", escalate_to="role:admin"),
    "late": checkpoint_flow("sweep.late", timeout="PT3S", on_timeout="fail"),
})


@pytest.fixture(scope="module")
def sweeper():
    running = start_server({"checkpoints.sweep_interval_seconds": 1, "checkpoints.remind_before_seconds": 0})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def owner(sweeper):
    return server_admin(sweeper)


@pytest.fixture(scope="module")
def approver(sweeper):
    name = f"approver-{tag()}"
    return make_person(sweeper, "approver", name=name, email_address=f"{name}@example.test")


@pytest.fixture(scope="module")
def core(owner, approver):
    return start_core(owner.api, IR)


def the_checkpoint(api, core_id, run_id):
    """The one checkpoint of a run, found through the list (the run may be past it already)."""
    found = wait_until(lambda: checkpoints_of_run(api, core_id, run_id), what=f"the checkpoint of run {run_id}")
    assert len(found) == 1, found
    return get_checkpoint(api, found[0]["id"])


def kinds(api, checkpoint_id):
    return [n["kind"] for n in notifications(api, checkpoint_id=checkpoint_id)]


def test_on_timeout_continue_resumes_with_timed_out(owner, core):
    accepted = post_event(owner.api, core["id"], "sweep.continue", {"n": tag()})
    run = wait_run(owner.api, accepted["run_id"], "completed", timeout=EXPIRY_TIMEOUT)
    output = run["output"]
    assert set(output) == RESOLUTION_KEYS, f"the run receives a whole resolution: {output}"
    assert (output["decision"], output["approved"], output["timed_out"]) == ("timed_out", False, True), output
    checkpoint = the_checkpoint(owner.api, core["id"], run["id"])
    assert checkpoint["status"] == "expired", checkpoint
    assert parse_time(run["finished_at"]) >= parse_time(checkpoint["expires_at"]), \
        f"the run resumed only after the deadline: finished {run['finished_at']}, expires {checkpoint['expires_at']}"
    assert journal_entry(run, "ask")["result"] == output, run["journal"]
    assert_journal_well_formed(run)
    assert "checkpoint.reminder" not in kinds(owner.api, checkpoint["id"]), "remind_before_seconds 0 sends no reminder"


def test_on_timeout_fail_fails_the_run(owner, core):
    accepted = post_event(owner.api, core["id"], "sweep.fail", {"n": tag()})
    run = wait_run(owner.api, accepted["run_id"], "failed", timeout=EXPIRY_TIMEOUT)
    assert run["error"]["code"] == "checkpoint_timeout", run["error"]
    assert run["error"]["step"] == "ask", run["error"]
    assert run["output"] is None and run["finished_at"], run
    checkpoint = the_checkpoint(owner.api, core["id"], run["id"])
    assert checkpoint["status"] == "expired", checkpoint
    assert parse_time(run["finished_at"]) >= parse_time(checkpoint["expires_at"]), (run, checkpoint)


def test_on_timeout_escalate_reassigns_once_then_fails(owner, core):
    accepted = post_event(owner.api, core["id"], "sweep.escalate", {"n": tag()})
    run_id = accepted["run_id"]
    first = the_checkpoint(owner.api, core["id"], run_id)
    assert (first["assignee"], first["escalate_to"]) == ("role:approver", "role:admin"), first
    if first["escalated"]:
        pytest.fail(f"the checkpoint was escalated before the test could see it open (slow start?): {first}")
    assert first["status"] == "open", first

    # First expiry: reassigned to escalate_to, with a new deadline, and the new assignee is notified.
    def moved():
        current = get_checkpoint(owner.api, first["id"])
        return current if current["escalated"] or current["status"] != "open" else None
    escalated = wait_until(moved, timeout=EXPIRY_TIMEOUT, what="the first expiry to escalate the checkpoint")
    assert escalated["status"] == "open" and escalated["escalated"] is True, \
        f"the first expiry escalates; it does not close the checkpoint: {escalated}"
    assert escalated["assignee"] == "role:admin", escalated
    assert parse_time(escalated["expires_at"]) >= parse_time(first["expires_at"]), (first, escalated)
    assert (parse_time(escalated["expires_at"]) - parse_time(first["expires_at"])).total_seconds() >= ESCALATION_SECONDS - 0.01, \
        f"the new deadline is now + timeout, now being past the first deadline: {first['expires_at']} → {escalated['expires_at']}"
    assert wait_run(owner.api, run_id, {"suspended"}, timeout=5)["checkpoint_id"] == first["id"], "the run still waits"
    escalations = [n for n in notifications(owner.api, checkpoint_id=first["id"]) if n["kind"] == "checkpoint.escalated"]
    assert len(escalations) == 1, f"one checkpoint.escalated notification: {notifications(owner.api, checkpoint_id=first['id'])}"
    assert escalations[0]["recipient"] == "role:admin" and escalations[0]["core_id"] == core["id"], escalations

    # Second expiry: the run fails as with on_timeout fail.
    run = wait_run(owner.api, run_id, "failed", timeout=EXPIRY_TIMEOUT)
    assert run["error"]["code"] == "checkpoint_timeout" and run["error"]["step"] == "ask", run["error"]
    final = get_checkpoint(owner.api, first["id"])
    assert final["status"] == "expired" and final["escalated"] is True and final["assignee"] == "role:admin", final
    assert parse_time(run["finished_at"]) >= parse_time(escalated["expires_at"]), (run, escalated)
    notes = kinds(owner.api, first["id"])
    assert notes.count("checkpoint.escalated") == 1, f"escalated once, never twice: {notes}"
    assert "checkpoint.reminder" not in notes, notes


def test_a_checkpoint_resolved_in_time_is_left_alone(owner, core, approver):
    accepted = post_event(owner.api, core["id"], "sweep.late", {"n": tag()})
    run = wait_run(owner.api, accepted["run_id"], {"suspended"}, timeout=EXPIRY_TIMEOUT)
    response = resolve(approver.api, run["checkpoint_id"], decision="approved")
    if response.status_code == 409:
        pytest.fail(f"the 3-second checkpoint expired before the approver could act (slow machine?): {response.text}")
    assert response.status_code == 200, response.text
    done = wait_run(owner.api, run["id"], "completed", timeout=EXPIRY_TIMEOUT)
    checkpoint = get_checkpoint(owner.api, run["checkpoint_id"])
    # Let several sweeps pass the old deadline: nothing may act on the resolved checkpoint.
    remaining = (parse_time(checkpoint["expires_at"]) - parse_time(done["finished_at"])).total_seconds()
    time.sleep(max(0, remaining) + 3)
    assert get_checkpoint(owner.api, checkpoint["id"]) == checkpoint, "the sweep changed a resolved checkpoint"
    after = wait_run(owner.api, run["id"], "completed")
    assert after == done, "the sweep changed a completed run"
    assert done["output"]["decision"] == "approved" and done["output"]["timed_out"] is False, done["output"]


# --- reminders ---------------------------------------------------------------------------------

REMINDER_IR = bundle("reminder-rules", {
    "soon": checkpoint_flow("remind.soon", timeout="PT1H"),
    "later": checkpoint_flow("remind.later", timeout="P1D"),
    "never": checkpoint_flow("remind.never"),
})


@pytest.fixture(scope="module")
def reminding():
    running = start_server({"checkpoints.sweep_interval_seconds": 1, "checkpoints.remind_before_seconds": 3600})
    yield running
    running.stop()


def test_reminder_is_sent_once_when_the_deadline_is_near(reminding):
    owner = server_admin(reminding)
    name = f"approver-{tag()}"
    approver = make_person(reminding, "approver", name=name, email_address=f"{name}@example.test")
    core = start_core(owner.api, REMINDER_IR)
    runs = {flow: wait_run(owner.api, post_event(owner.api, core["id"], f"remind.{flow}", {"n": tag()})["run_id"], "suspended", timeout=EXPIRY_TIMEOUT)
            for flow in ("soon", "later", "never")}
    soon, later, never = (runs[flow]["checkpoint_id"] for flow in ("soon", "later", "never"))

    # PT1H leaves less than remind_before_seconds (3600) from the start: the first sweep reminds.
    reminder = wait_until(lambda: [n for n in notifications(owner.api, checkpoint_id=soon) if n["kind"] == "checkpoint.reminder"],
                          timeout=EXPIRY_TIMEOUT, what=f"a checkpoint.reminder for {soon}")[0]
    assert reminder["recipient"] == "role:approver" and reminder["core_id"] == core["id"], reminder
    assert reminder["to"] and approver.email in str(reminder["to"]), reminder
    assert reminder["status"] == "stored", f"no relay is configured: {reminder}"

    # Several more sweeps: no second reminder; the other deadlines are too far (or absent).
    time.sleep(5)
    notes = kinds(owner.api, soon)
    assert notes.count("checkpoint.reminder") == 1, f"a reminder is sent once: {notes}"
    assert "checkpoint.reminder" not in kinds(owner.api, later), "P1D leaves more than an hour: no reminder yet"
    assert "checkpoint.reminder" not in kinds(owner.api, never), "a checkpoint without a timeout has no deadline to remind of"
    for checkpoint_id in (soon, later, never):
        checkpoint = get_checkpoint(owner.api, checkpoint_id)
        assert checkpoint["status"] == "open" and checkpoint["assignee"] == "role:approver", checkpoint
    assert get_checkpoint(owner.api, never)["expires_at"] is None
