"""Runs (docs/runtime.md, "Invoking a flow", "Runs", "Emitted events", "Failures and retries",
"Who am I"): invoke with and without waiting, the journal with its timings, emit across the Cores
of one tenant only, failures with their step, plugin calls and their retries, sleeps, cancelling,
run lists with filters and pages, the live event stream, GET /me."""
import time

import pytest

from api_assertions import CROCKFORD, assert_error, problem_paths, tag
from runtime_load_support import (JOURNAL_ENTRY_KEYS, RUN_KEYS, RUN_TIMEOUT, STREAM_KEYS, EventStream, FakePlugin, assert_failed,
                                  bundle, config_env, event_name, events_of, fire, get_run, invoke, journal_keys,
                                  live_core, on_api, on_event, parse_time, returns, runs_of, wait_run)
from conftest import Server


def missing_run_id():
    import secrets
    return "run_" + "".join(secrets.choice(CROCKFORD) for _ in range(26))


def invoked(response):
    """The run of a 200 answer of POST /cores/{id}/invoke."""
    assert response.status_code == 200, response.text
    run = response.json()
    assert RUN_KEYS <= set(run), run
    return run


APPROVAL = {"id": "approval", "op": "checkpoint", "kind": "approval", "title": "Approve {{ input.id }}",
            "assignee": "role:approver", "out": "decision"}


# --- invoke ------------------------------------------------------------------------------------------

def test_invoke_with_wait_answers_200_with_the_completed_run(admin):
    me = admin.get("/me").json()
    ir = bundle({"greet": on_api({"id": "compose", "op": "set", "var": "text", "value": "hello {{ input.name }}"},
                                 returns({"greeting": "{{ text }}", "n": "{{ input.n * 2 }}"}))})
    core = live_core(admin, ir)
    run = invoked(invoke(admin, core["id"], "greet", {"name": "Ada", "n": 21}, wait=10))
    assert run["status"] == "completed", run
    assert run["output"] == {"greeting": "hello Ada", "n": 42}
    assert run["flow"] == "greet" and run["core_id"] == core["id"] and run["input"] == {"name": "Ada", "n": 21}
    assert run["trigger"]["type"] == "api" and run["trigger"].get("user") == me["user_id"], run["trigger"]
    assert run["error"] is None
    assert run["started_by"] == me["user_id"]
    stored = get_run(admin, run["id"])
    assert stored["status"] == "completed" and stored["output"] == run["output"]
    assert run["id"] in [r["id"] for r in runs_of(admin, core["id"])]


def test_invoke_of_a_flow_without_an_api_trigger_is_refused(admin):
    ir = bundle({"on_ping": on_event(event_name(), returns()), "direct": on_api(returns())})
    core = live_core(admin, ir)
    assert_error(invoke(admin, core["id"], "on_ping", {}, wait=5), 422, "flow_not_invocable")
    assert runs_of(admin, core["id"]) == []


@pytest.mark.parametrize("wait", [0, None], ids=["wait 0", "no wait"])
def test_invoke_without_waiting_answers_202_and_the_run_completes(admin, wait):
    core = live_core(admin, bundle({"direct": on_api(returns({"echo": "{{ input.v }}"}))}))
    response = invoke(admin, core["id"], "direct", {"v": "x"}, wait=wait)
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"run_id", "status"} and body["status"] == "accepted", body
    run = wait_run(admin, body["run_id"])
    assert run["status"] == "completed" and run["output"] == {"echo": "x"}, run


def test_invoke_waits_no_longer_than_asked(admin):
    ir = bundle({"slow": on_api({"id": "nap", "op": "sleep", "duration": "PT3S"}, returns("done"))})
    core = live_core(admin, ir)
    began = time.monotonic()
    response = invoke(admin, core["id"], "slow", {}, wait=1)
    took = time.monotonic() - began
    # A sleeping run neither completed, failed nor suspended: after the wait, 202.
    assert response.status_code == 202, response.text
    assert 0.8 <= took < 3.0, f"invoke with wait 1 took {took:.2f}s"
    assert wait_run(admin, response.json()["run_id"])["output"] == "done"


def test_a_repeated_invoke_key_answers_the_same_run(admin):
    core = live_core(admin, bundle({"direct": on_api(returns())}))
    key = f"inv-{tag()}"
    first = invoke(admin, core["id"], "direct", {"a": 1}, wait=0, key=key)
    assert first.status_code == 202, first.text
    again = invoke(admin, core["id"], "direct", {"a": 1}, wait=0, key=key)
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers.get("Idempotency-Replayed", "").lower() == "true"
    assert_error(invoke(admin, core["id"], "direct", {"a": 2}, wait=0, key=key), 422, "idempotency_key_reused")
    wait_run(admin, first.json()["run_id"])
    assert [r["id"] for r in runs_of(admin, core["id"])] == [first.json()["run_id"]]


BAD_INVOKES = {
    "missing flow": ({"input": {}}, ["flow"]),
    "flow not a string": ({"flow": 3}, ["flow"]),
    "negative wait": ({"flow": "direct", "wait": -1}, ["wait"]),
    "wait over 60": ({"flow": "direct", "wait": 61}, ["wait"]),
    "wait as text": ({"flow": "direct", "wait": "5"}, ["wait"]),
    "unknown field": ({"flow": "direct", "inputs": {}}, ["inputs"]),
}


@pytest.mark.parametrize("case", list(BAD_INVOKES))
def test_a_bad_invoke_body_is_refused_and_starts_nothing(admin, case):
    body, paths = BAD_INVOKES[case]
    core = live_core(admin, bundle({"direct": on_api(returns())}))
    error = assert_error(admin.post(f"/cores/{core['id']}/invoke", json=body), 400, "invalid_request")
    assert sorted(problem_paths(error)) == sorted(paths), error
    assert runs_of(admin, core["id"]) == []


# --- the journal ----------------------------------------------------------------------------------

def test_the_journal_lists_every_effect_in_order_with_its_result_and_timing(admin):
    announced = event_name("noted")
    ir = bundle({"note": on_api(
        {"id": "remember", "op": "memory.put", "key": "note:{{ input.id }}", "value": {"text": "{{ input.text }}"}},
        {"id": "recall", "op": "memory.get", "key": "note:{{ input.id }}", "out": "note"},
        {"id": "compute", "op": "set", "var": "size", "value": "{{ len(note.text) }}"},
        {"id": "each", "op": "for_each", "items": "input.tags", "as": "t", "index": "i",
         "steps": [{"id": "tag", "op": "memory.put", "key": "note:{{ input.id }}:tag:{{ i }}", "value": "{{ t }}"}]},
        {"id": "announce", "op": "emit", "event": announced, "data": {"id": "{{ input.id }}", "size": "{{ size }}"}},
        returns({"size": "{{ size }}", "note": "{{ note }}"}))})
    core = live_core(admin, ir)
    run = invoked(invoke(admin, core["id"], "note", {"id": "n1", "text": "four", "tags": ["a", "b"]}, wait=10))
    assert run["status"] == "completed" and run["output"] == {"size": 4, "note": {"text": "four"}}, run

    run = get_run(admin, run["id"])
    assert journal_keys(run) == ["remember", "recall", "each[0]/tag", "each[1]/tag", "announce"], run["journal"]
    for entry in run["journal"]:
        assert JOURNAL_ENTRY_KEYS <= set(entry), entry
        started, recorded = parse_time(entry["started_at"]), parse_time(entry["recorded_at"])
        assert started <= recorded, entry
        assert isinstance(entry["duration_ms"], (int, float)) and entry["duration_ms"] >= 0, entry
        assert parse_time(run["created_at"]) <= started and recorded <= parse_time(run["finished_at"]), (entry, run)
    by_key = {entry["key"]: entry for entry in run["journal"]}
    assert by_key["recall"]["result"] == {"text": "four"}, "memory.get records the value it read"
    recorded_times = [parse_time(entry["recorded_at"]) for entry in run["journal"]]
    assert recorded_times == sorted(recorded_times), "the journal is in the order the effects ran"


# --- emit ----------------------------------------------------------------------------------------

def listener_ir(event):
    return bundle({"heard": on_event(event, returns({"heard": "{{ input }}"}))})


def test_emit_reaches_every_live_core_of_the_tenant_and_no_other_tenant(admin, other_tenant):
    event = event_name("done")
    emitter = live_core(admin, bundle({
        "work": on_api({"id": "announce", "op": "emit", "event": event, "data": {"id": "{{ input.id }}"}},
                       returns("sent")),
        "self_heard": on_event(event, returns({"self": "{{ input.id }}"}))}))
    running = live_core(admin, listener_ir(event))
    paused = live_core(admin, listener_ir(event), status="paused")
    stopped = live_core(admin, listener_ir(event), status="stopped")
    deaf = live_core(admin, listener_ir(event_name("other")))
    foreign = live_core(other_tenant, listener_ir(event))

    run = invoked(invoke(admin, emitter["id"], "work", {"id": "x1"}, wait=10))
    assert run["status"] == "completed", run
    assert journal_keys(get_run(admin, run["id"])) == ["announce"]
    # The emitted event's rows are written before the step is recorded: all is there now.

    def delivered(core_id, api=admin):
        items = [item for item in events_of(api, core_id) if item["source"] == "emit"]
        assert len(items) == 1, items
        item = items[0]
        assert item["event_name"] == event and item["data"] == {"id": "x1"}, item
        assert item["source_run_id"] == run["id"] and item["status"] == "accepted" and len(item["run_ids"]) == 1, item
        return item

    item = delivered(running["id"])
    heard = wait_run(admin, item["run_ids"][0])
    assert heard["status"] == "completed" and heard["output"] == {"heard": {"id": "x1"}}, heard
    assert heard["trigger"]["type"] == "event" and heard["trigger"]["event"] == event, heard
    assert heard["trigger"]["event_id"] == item["id"] and heard["input"] == {"id": "x1"}
    assert [r["id"] for r in runs_of(admin, running["id"])] == [heard["id"]]

    # Its own Core too.
    own = [i for i in events_of(admin, emitter["id"]) if i["source"] == "emit"]
    assert len(own) == 1 and own[0]["source_run_id"] == run["id"], own
    own_run = wait_run(admin, own[0]["run_ids"][0])
    assert own_run["flow"] == "self_heard" and own_run["output"] == {"self": "x1"}, own_run

    # A paused Core gets the event and keeps its run queued.
    item = delivered(paused["id"])
    assert get_run(admin, item["run_ids"][0])["status"] == "queued"
    # A stopped Core, a Core that does not subscribe and another tenant's Core get nothing.
    assert events_of(admin, stopped["id"]) == [] and runs_of(admin, stopped["id"]) == []
    assert events_of(admin, deaf["id"]) == [] and runs_of(admin, deaf["id"]) == []
    assert events_of(other_tenant, foreign["id"]) == [] and runs_of(other_tenant, foreign["id"]) == []


def test_an_emitted_event_nobody_subscribes_to_is_recorded_once_as_unmatched(admin):
    event = event_name("lonely")
    core = live_core(admin, bundle({"work": on_api(
        {"id": "announce", "op": "emit", "event": event, "data": {"n": "{{ input.n }}"}}, returns("sent"))}))
    run = invoked(invoke(admin, core["id"], "work", {"n": 5}, wait=10))
    assert run["status"] == "completed", run
    items = [item for item in events_of(admin, core["id"]) if item["source"] == "emit"]
    assert len(items) == 1, items
    assert items[0]["status"] == "unmatched" and items[0]["run_ids"] == [] and items[0]["event_name"] == event
    assert items[0]["source_run_id"] == run["id"] and items[0]["data"] == {"n": 5}


# --- failures ------------------------------------------------------------------------------------

def test_a_fail_step_fails_the_run_with_its_code_message_and_step(admin):
    ir = bundle({
        "strict": on_api({"id": "keep", "op": "memory.put", "key": "strict:last", "value": "{{ input.n }}"},
                         {"id": "boom", "op": "fail", "code": "bad_input", "message": "no luck for {{ input.n }}"},
                         {"id": "never", "op": "memory.put", "key": "strict:never", "value": True}),
        "plain": on_api({"id": "oops", "op": "fail", "message": "plain failure"})})
    core = live_core(admin, ir)
    run = invoked(invoke(admin, core["id"], "strict", {"n": 7}, wait=10))
    assert_failed(run, "bad_input", "boom", "flows.strict.steps[1]", message="no luck for 7")
    assert journal_keys(get_run(admin, run["id"])) == ["keep"], "the steps after the failure did not run"
    run = invoked(invoke(admin, core["id"], "plain", {}, wait=10))
    assert_failed(run, "failed", "oops", "flows.plain.steps[0]", message="plain failure")
    assert {r["id"] for r in runs_of(admin, core["id"], status="failed")} >= {run["id"]}


def test_an_expression_error_fails_the_run_naming_the_step(admin):
    event = event_name()
    core = live_core(admin, bundle({"f": on_event(event, {"id": "add", "op": "set", "var": "x", "value": "{{ input.a + 1 }}"})}))
    answer = fire(admin, core["id"], event, {"a": "text"})
    run = wait_run(admin, answer["run_id"])
    assert_failed(run, "expression_error", "add", "flows.f.steps[0]")


def payments_ir(event, action):
    return bundle({"pay": on_event(
        event,
        {"id": "before", "op": "memory.put", "key": "pay:{{ input.id }}", "value": "started"},
        {"id": "pay", "op": "plugin", "plugin": "payments", "action": action, "args": {"id": "{{ input.id }}"}, "out": "receipt"},
        {"id": "after", "op": "memory.put", "key": "pay:{{ input.id }}", "value": "paid"},
        returns({"receipt": "{{ receipt }}"}))}, plugins=["payments"])


def test_a_plugin_the_core_does_not_enable_fails_the_run_with_plugin_not_enabled(admin):
    event = event_name("pay")
    core = live_core(admin, payments_ir(event, "pay"))  # the bundle declares it; the Core enables nothing
    assert core["plugins"] == []
    run = wait_run(admin, fire(admin, core["id"], event, {"id": "p1"})["run_id"])
    assert_failed(run, "plugin_not_enabled", "pay", "flows.pay.steps[1]")
    assert journal_keys(get_run(admin, run["id"])) == ["before"]


def test_an_enabled_plugin_without_an_endpoint_fails_the_run_with_plugin_unavailable(admin):
    event = event_name("pay")
    core = live_core(admin, payments_ir(event, "pay"), plugins=["payments"])
    run = wait_run(admin, fire(admin, core["id"], event, {"id": "p2"})["run_id"])
    assert_failed(run, "plugin_unavailable", "pay", "flows.pay.steps[1]")
    assert journal_keys(get_run(admin, run["id"])) == ["before"]


def plugin_answers(body, earlier):
    action = body.get("action") if isinstance(body, dict) else None
    if action == "refuse":
        return 400, {"error": "card declined"}
    if action == "down":
        return 503, {"error": "down"}
    if action == "flaky" and len(earlier) < 2:
        return (503, {"error": "busy"}) if not earlier else (429, {"error": "slow down"})
    return None


@pytest.fixture(scope="module")
def plugged():
    """An appliance whose `payments` plugin is served by a FakePlugin."""
    plugin = FakePlugin(respond=plugin_answers)
    appliance = Server(["--ephemeral", "--port", "0"],
                       env=config_env({"plugins.endpoints": f"payments={plugin.url}/payments"}))
    yield appliance, plugin
    appliance.stop()
    plugin.close()


def calls_for(plugin, run_id, step="pay"):
    return plugin.calls_by_key().get(f"{run_id}:{step}", [])


def payment_run(plugged, mode, invoice_id, timeout=RUN_TIMEOUT):
    """A Core whose `pay` step calls the payments plugin in `mode`, one event, its run at its end."""
    appliance, plugin = plugged
    api = appliance.api()
    event = event_name("pay")
    core = live_core(api, payments_ir(event, mode), plugins=["payments"])
    run = wait_run(api, fire(api, core["id"], event, {"id": invoice_id})["run_id"], timeout=timeout)
    return api, plugin, core, run


def test_a_plugin_step_posts_to_the_mapped_endpoint_with_an_idempotency_key(plugged):
    api, plugin, core, run = payment_run(plugged, "pay", "p3")
    assert run["status"] == "completed", run
    calls = calls_for(plugin, run["id"])
    assert len(calls) == 1, calls
    call = calls[0]
    assert call["path"] == "/payments"
    body = dict(call["body"])
    assert body.pop("step", None) in {"pay", "flows.pay.steps[1]"}, call["body"]  # its key, or its path in the bundle
    assert body == {"plugin": "payments", "action": "pay", "args": {"id": "p3"}, "core_id": core["id"],
                    "run_id": run["id"]}, call["body"]
    assert run["output"] == {"receipt": {"receipt": plugin.receipts[f"{run['id']}:pay"], "args": {"id": "p3"}}}
    assert journal_keys(get_run(api, run["id"])) == ["before", "pay", "after"]


def test_a_5xx_or_429_answer_is_retried_with_the_same_key_and_recorded_once(plugged):
    api, plugin, core, run = payment_run(plugged, "flaky", "p4")
    assert run["status"] == "completed", run
    calls = calls_for(plugin, run["id"])
    assert [c["status"] for c in calls] == [503, 429, 200], calls
    gaps = [later["at"] - earlier["at"] for earlier, later in zip(calls, calls[1:])]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.6, f"retries come after 0.2 s and 0.8 s, not {gaps}"
    assert journal_keys(get_run(api, run["id"])).count("pay") == 1


def test_a_4xx_answer_fails_the_run_at_once(plugged):
    api, plugin, core, run = payment_run(plugged, "refuse", "p5")
    assert_failed(run, "plugin_failed", "pay", "flows.pay.steps[1]")
    assert len(calls_for(plugin, run["id"])) == 1, "a 4xx answer is not retried"
    assert journal_keys(get_run(api, run["id"])) == ["before"]


def test_a_plugin_that_stays_down_is_tried_four_times_then_fails_the_run(plugged):
    api, plugin, core, run = payment_run(plugged, "down", "p6", timeout=40)
    assert_failed(run, "plugin_failed", "pay", "flows.pay.steps[1]")
    calls = calls_for(plugin, run["id"])
    assert len(calls) == 4, f"one call and 3 retries, got {len(calls)}"
    assert calls[-1]["at"] - calls[0]["at"] >= 3.5, "the retries wait 0.2, 0.8 and 3.2 seconds"
    assert journal_keys(get_run(api, run["id"])) == ["before"]


# --- sleep ---------------------------------------------------------------------------------------

def test_a_sleeping_run_shows_its_wake_time_and_completes_after_it(admin):
    event = event_name("later")
    core = live_core(admin, bundle({"later": on_event(
        event,
        {"id": "nap", "op": "sleep", "duration": "PT2S"},
        {"id": "woke", "op": "memory.put", "key": "woke:{{ input.n }}", "value": True},
        returns({"woke": "{{ input.n }}"}))}))
    answer = fire(admin, core["id"], event, {"n": 1})
    run = wait_run(admin, answer["run_id"], statuses={"sleeping", "completed", "failed"})
    assert run["status"] == "sleeping", "a two-second sleep is seen while it lasts"
    wake = parse_time(run["wake_at"])
    waited = (wake - parse_time(run["created_at"])).total_seconds()
    assert 1.5 <= waited <= 10, f"wake_at is {waited:.2f}s after the run was created"
    assert run["finished_at"] is None
    assert [r["id"] for r in runs_of(admin, core["id"], status="sleeping")] == [run["id"]]

    run = wait_run(admin, answer["run_id"], timeout=30)
    assert run["status"] == "completed" and run["output"] == {"woke": 1}, run
    assert parse_time(run["finished_at"]) >= wake
    assert journal_keys(run) == ["nap", "woke"]


def test_reading_a_run_with_wait_long_polls_until_it_ends(admin):
    event = event_name("poll")
    core = live_core(admin, bundle({"later": on_event(
        event, {"id": "nap", "op": "sleep", "duration": "PT2S"}, returns({"n": "{{ input.n }}"}))}))
    answer = fire(admin, core["id"], event, {"n": 4})
    started = time.monotonic()
    response = admin.get(f"/runs/{answer['run_id']}", params={"wait": 20})
    took = time.monotonic() - started
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["status"] == "completed" and run["output"] == {"n": 4}, run
    assert took < 15, f"the long poll answered {took:.1f}s after the call, not when the run ended"
    assert journal_keys(run) == ["nap"]
    # Bad waits are refused; wait=0 answers at once.
    for bad in ("-1", "61", "soon"):
        assert_error(admin.get(f"/runs/{answer['run_id']}", params={"wait": bad}), 400, "invalid_query")
    assert admin.get(f"/runs/{answer['run_id']}", params={"wait": 0}).json()["status"] == "completed"


# --- cancel ----------------------------------------------------------------------------------------

def cancel(api, run_id):
    return api.post(f"/runs/{run_id}/cancel")


def assert_cancelled(response, api, run_id):
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled", response.json()
    run = get_run(api, run_id)
    assert run["status"] == "cancelled" and run["finished_at"], run
    return run


def test_cancelling_a_suspended_run_cancels_its_checkpoint(admin):
    core = live_core(admin, bundle({"ask": on_api(APPROVAL, returns({"approved": "{{ decision.approved }}"}))}))
    run = invoked(invoke(admin, core["id"], "ask", {"id": "A-1"}, wait=10))
    assert run["status"] == "suspended" and run["checkpoint_id"], run
    checkpoint = admin.get(f"/checkpoints/{run['checkpoint_id']}").json()
    assert checkpoint["status"] == "open" and checkpoint["run_id"] == run["id"], checkpoint

    # A bad body is refused and cancels nothing; a reason is audited.
    assert_error(admin.post(f"/runs/{run['id']}/cancel", json={"why": "x"}), 400, "invalid_request")
    assert get_run(admin, run["id"])["status"] == "suspended"
    assert_cancelled(admin.post(f"/runs/{run['id']}/cancel", json={"reason": "duplicate invoice"}), admin, run["id"])
    audit = admin.get("/audit", params={"target_id": run["id"]}).json()["items"]
    assert [e["details"].get("reason") for e in audit if e["action"] == "run.cancel"] == ["duplicate invoice"], audit
    checkpoint = admin.get(f"/checkpoints/{run['checkpoint_id']}").json()
    assert checkpoint["status"] == "cancelled", checkpoint
    assert_error(admin.post(f"/checkpoints/{run['checkpoint_id']}/resolve", json={"decision": "approved"}),
                 409, "checkpoint_not_open")
    assert_error(cancel(admin, run["id"]), 409, "run_finished")
    time.sleep(0.5)
    assert get_run(admin, run["id"])["status"] == "cancelled"


def test_cancelling_a_sleeping_run(admin):
    core = live_core(admin, bundle({"later": on_api({"id": "nap", "op": "sleep", "duration": "PT1H"}, returns("woke"))}))
    response = invoke(admin, core["id"], "later", {}, wait=0)
    run_id = response.json()["run_id"]
    wait_run(admin, run_id, statuses="sleeping")
    assert_cancelled(cancel(admin, run_id), admin, run_id)
    assert_error(cancel(admin, run_id), 409, "run_finished")


def test_cancelling_a_queued_run_keeps_it_from_running(admin):
    event = event_name()
    core = live_core(admin, bundle({"f": on_event(event, {"id": "mark", "op": "memory.put", "key": "ran:{{ input.n }}", "value": True},
                                                  returns("{{ input.n }}"))}), status="paused")
    doomed = fire(admin, core["id"], event, {"n": 1})
    kept = fire(admin, core["id"], event, {"n": 2})
    assert_cancelled(cancel(admin, doomed["run_id"]), admin, doomed["run_id"])
    assert admin.post(f"/cores/{core['id']}/resume").status_code == 200
    assert wait_run(admin, kept["run_id"])["output"] == 2
    run = get_run(admin, doomed["run_id"])
    assert run["status"] == "cancelled" and run["journal"] == [], run


def test_cancelling_a_finished_run_is_a_conflict(admin):
    core = live_core(admin, bundle({"direct": on_api(returns("ok"))}))
    run = invoked(invoke(admin, core["id"], "direct", {}, wait=10))
    assert run["status"] == "completed"
    error = assert_error(cancel(admin, run["id"]), 409, "run_finished")
    assert get_run(admin, run["id"])["status"] == "completed", error
    assert_error(cancel(admin, missing_run_id()), 404, "not_found")
    assert_error(admin.get(f"/runs/{missing_run_id()}"), 404, "not_found")


# --- lists ---------------------------------------------------------------------------------------

def test_run_lists_filter_by_status_and_page_newest_first(admin):
    good, bad = event_name("good"), event_name("bad")
    core = live_core(admin, bundle({"ok": on_event(good, returns()),
                                    "ko": on_event(bad, {"id": "boom", "op": "fail", "message": "no"})}))
    completed = [fire(admin, core["id"], good, {"n": n})["run_id"] for n in range(5)]
    failed = [fire(admin, core["id"], bad, {"n": n})["run_id"] for n in range(3)]
    for run_id in completed + failed:
        wait_run(admin, run_id)

    assert sorted(r["id"] for r in runs_of(admin, core["id"], status="failed")) == sorted(failed)
    assert sorted(r["id"] for r in runs_of(admin, core["id"], status="completed")) == sorted(completed)
    both = runs_of(admin, core["id"], status="completed,failed")
    assert sorted(r["id"] for r in both) == sorted(completed + failed)
    assert runs_of(admin, core["id"], status="suspended") == []

    pages, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = admin.get(f"/cores/{core['id']}/runs", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [len(page) for page in pages] == [3, 3, 2], pages
    ids = [run_id for page in pages for run_id in page]
    assert len(set(ids)) == 8 and set(ids) == set(completed + failed)
    created = [parse_time(item["created_at"]) for item in runs_of(admin, core["id"])]
    assert created == sorted(created, reverse=True), "runs are listed newest first"
    assert ids.index(failed[-1]) < ids.index(completed[0]), "the last accepted run comes before the first"

    assert_error(admin.get(f"/cores/{core['id']}/runs", params={"cursor": "not a cursor!"}), 400, "invalid_cursor")


def test_event_lists_page_newest_first(admin):
    event = event_name()
    core = live_core(admin, bundle({"f": on_event(event, returns())}))
    ids = [fire(admin, core["id"], event, {"n": n})["event_id"] for n in range(5)]
    pages, cursor = [], None
    while True:
        page = admin.get(f"/cores/{core['id']}/events", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [i for page in pages for i in page] == list(reversed(ids))


# --- the live stream ---------------------------------------------------------------------------

def test_the_event_stream_shows_accepted_and_emitted_events_of_the_tenant_only(server, admin, other_tenant):
    event, emitted = event_name("streamed"), event_name("streamed.out")
    core = live_core(admin, bundle({"f": on_event(event, {"id": "announce", "op": "emit", "event": emitted,
                                                          "data": {"from": "{{ input.n }}"}}, returns())}))
    other_event = event_name("theirs")
    other_core = live_core(other_tenant, bundle({"f": on_event(other_event, returns())}))
    _, other_token = other_tenant.session.headers["Authorization"].split(" ", 1)
    mine, theirs = EventStream(server.url, server.token), EventStream(server.url, other_token)
    try:
        assert mine.wait_connected() == 200 and theirs.wait_connected() == 200, (mine.status, theirs.status, mine.error)
        assert mine.content_type.startswith("text/event-stream"), mine.content_type
        time.sleep(0.3)  # let both subscriptions settle before the event

        answer = fire(admin, core["id"], event, {"n": 7})
        message = mine.next_matching(lambda m: m["event"] == "accepted" and (m["data"] or {}).get("event_id") == answer["event_id"])
        data = message["data"]
        assert set(data) == STREAM_KEYS, data
        assert data["core_id"] == core["id"] and data["event_name"] == event and data["data"] == {"n": 7}
        assert data["source"] == "api" and data["run_ids"] == answer["run_ids"] and data["source_run_id"] is None

        message = mine.next_matching(lambda m: m["event"] == "emitted" and (m["data"] or {}).get("event_name") == emitted)
        data = message["data"]
        assert data["source"] == "emit" and data["source_run_id"] == answer["run_id"] and data["data"] == {"from": 7}
        assert data["core_id"] == core["id"] and data["run_ids"] == []

        # The other tenant sees its own event, and (being ordered after ours) proves it saw none of ours.
        their_answer = fire(other_tenant, other_core["id"], other_event, {"n": 8})
        theirs.next_matching(lambda m: (m["data"] or {}).get("event_id") == their_answer["event_id"])
        leaked = [m for m in theirs.drain() if (m["data"] or {}).get("core_id") == core["id"]
                  or (m["data"] or {}).get("event_name") in (event, emitted)]
        assert leaked == [], leaked
        assert not [m for m in mine.drain() if (m["data"] or {}).get("event_id") == their_answer["event_id"]]
    finally:
        mine.close()
        theirs.close()


def test_the_event_stream_needs_a_token(server):
    import requests
    from conftest import API
    response = requests.get(server.url + API + "/events/stream", timeout=10)
    assert_error(response, 401, "unauthorized")


# --- who am I ----------------------------------------------------------------------------------

def test_me_names_the_tenant_user_and_role_of_the_token(admin, role_client, other_tenant):
    mine = admin.get("/me")
    assert mine.status_code == 200, mine.text
    me = mine.json()
    assert set(me) == {"tenant_id", "user_id", "user_name", "role"}, me
    assert me["role"] == "admin" and me["tenant_id"] and me["user_id"] and me["user_name"]

    viewer = role_client("viewer").get("/me").json()
    assert viewer["role"] == "viewer" and viewer["tenant_id"] == me["tenant_id"]
    assert viewer["user_id"] != me["user_id"]

    other = other_tenant.get("/me").json()
    assert other["role"] == "admin" and other["tenant_id"] != me["tenant_id"]

    from conftest import Api
    assert_error(Api(admin.url, None).get("/me"), 401, "unauthorized")
