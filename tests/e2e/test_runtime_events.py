"""Events (docs/runtime.md, "Events"): POST /cores/{id}/events answers 202 once the event and its runs
are on disk, and the runs complete; Idempotency-Key replays; refusals that store nothing (409, 400,
404, 403, 422, 429); paused Cores queue; unmatched events; fan-out to several flows; entity-keyed
runs one at a time per key."""
import concurrent.futures
import json
import time

import pytest

from api_assertions import assert_error, missing_core_id, problem_paths, tag
from conftest import Api
from runtime_load_support import (EVENT_ITEM_KEYS, RUN_KEYS, accepted, bundle, ephemeral_server, event_name, events_of,
                                  fire, get_run, invoke, live_core, on_api, on_event, parse_time, post_event, returns,
                                  runs_of, wait_run)

ALLOWED_NAME_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"


def echo_core(api, event, status="running", **fields):
    """A Core with one flow `echo` that returns its input when `event` arrives, and an api flow."""
    ir = bundle({"echo": on_event(event, returns()), "direct": on_api(returns())})
    return live_core(api, ir, status=status, **fields)


def nothing_stored(api, core_id):
    assert events_of(api, core_id) == [], "a refused event stores no event"
    assert runs_of(api, core_id) == [], "a refused event starts no run"


# --- 202 --------------------------------------------------------------------------------------------

def test_an_accepted_event_is_stored_with_its_run_and_the_run_completes(admin):
    event = event_name("invoice.received")
    core = echo_core(admin, event)
    data = {"id": "INV-7", "amount": 4200, "lines": [{"sku": "A", "qty": 2}], "note": None}
    answer = fire(admin, core["id"], event, data)

    # The run exists as soon as the answer is sent (durable on disk when sent).
    run = get_run(admin, answer["run_id"])
    assert RUN_KEYS <= set(run), run
    assert run["id"] == answer["run_id"] and run["core_id"] == core["id"] and run["flow"] == "echo"
    assert run["status"] in {"queued", "running", "completed"}, run
    assert run["trigger"]["type"] == "event", run
    assert run["trigger"]["event"] == event and run["trigger"]["event_id"] == answer["event_id"], run
    assert run["input"] == data
    assert run["entity"] is None

    run = wait_run(admin, answer["run_id"])
    assert run["status"] == "completed", run
    assert run["output"] == data and run["error"] is None
    assert run["finished_at"] and parse_time(run["finished_at"]) >= parse_time(run["created_at"])

    # The event is listed with its run.
    items = events_of(admin, core["id"])
    assert [item["id"] for item in items] == [answer["event_id"]]
    item = items[0]
    assert set(item) == EVENT_ITEM_KEYS, item
    assert item["core_id"] == core["id"] and item["event_name"] == event and item["data"] == data
    assert item["source"] == "api" and item["source_run_id"] is None
    assert item["status"] == "accepted" and item["run_ids"] == [answer["run_id"]]
    parse_time(item["created_at"])
    assert [r["id"] for r in runs_of(admin, core["id"])] == [answer["run_id"]]


def test_data_defaults_to_an_empty_object(admin):
    event = event_name()
    core = echo_core(admin, event)
    answer = fire(admin, core["id"], event)  # no "data" field at all
    run = wait_run(admin, answer["run_id"])
    assert run["input"] == {} and run["output"] == {}, run
    assert events_of(admin, core["id"])[0]["data"] == {}


@pytest.mark.parametrize("data", [[1, 2, 3], "text", 42, True, None], ids=["array", "string", "number", "bool", "null"])
def test_any_json_value_is_data(admin, data):
    event = event_name()
    core = echo_core(admin, event)
    response = admin.post(f"/cores/{core['id']}/events", json={"event_name": event, "data": data})
    answer = accepted(response)
    run = wait_run(admin, answer["run_id"])
    assert run["status"] == "completed", run
    if data is not None:  # an explicit null may be taken as "no data" ({}); both are JSON values
        assert run["input"] == data and run["output"] == data, run


def test_the_longest_name_of_allowed_characters_is_accepted(admin):
    event = (ALLOWED_NAME_CHARACTERS * 4)[:200]
    core = echo_core(admin, event)
    answer = fire(admin, core["id"], event, {"ok": True})
    assert wait_run(admin, answer["run_id"])["status"] == "completed"
    assert events_of(admin, core["id"])[0]["event_name"] == event


def test_the_runs_start_as_their_sender(admin):
    me = admin.get("/me").json()
    event = event_name()
    core = echo_core(admin, event)
    answer = fire(admin, core["id"], event)
    run = wait_run(admin, answer["run_id"])
    assert run["started_by"] == me["user_id"], run
    assert run["trigger"].get("user") == me["user_id"], run["trigger"]


# --- Idempotency-Key ------------------------------------------------------------------------------

def test_a_repeated_key_with_the_same_body_answers_the_first_answer_and_starts_nothing(admin):
    event = event_name()
    core = echo_core(admin, event)
    key = f"order-{tag()}"
    first = post_event(admin, core["id"], event, {"n": 1}, key=key)
    answer = accepted(first)
    assert first.headers.get("Idempotency-Replayed", "").lower() != "true", "a first answer is not a replay"
    wait_run(admin, answer["run_id"])
    runs_before = runs_of(admin, core["id"])
    events_before = events_of(admin, core["id"])
    assert len(runs_before) == 1 and len(events_before) == 1

    for _ in range(3):
        again = post_event(admin, core["id"], event, {"n": 1}, key=key)
        assert again.status_code == 202, again.text
        assert again.json() == answer, "a replay answers the first answer"
        assert again.headers.get("Idempotency-Replayed", "").lower() == "true", dict(again.headers)

    assert runs_of(admin, core["id"]) == runs_before, "a replay starts no run"
    assert events_of(admin, core["id"]) == events_before, "a replay stores no event"


def test_a_replay_while_the_first_run_is_still_queued_answers_the_same(admin):
    event = event_name()
    core = echo_core(admin, event, status="paused")
    key = f"k-{tag()}"
    answer = accepted(post_event(admin, core["id"], event, {"n": 1}, key=key))
    again = post_event(admin, core["id"], event, {"n": 1}, key=key)
    assert again.status_code == 202 and again.json() == answer
    assert again.headers.get("Idempotency-Replayed", "").lower() == "true"
    assert [r["id"] for r in runs_of(admin, core["id"])] == [answer["run_id"]]
    assert admin.post(f"/cores/{core['id']}/resume").status_code == 200
    assert wait_run(admin, answer["run_id"])["status"] == "completed"
    assert len(runs_of(admin, core["id"])) == 1


def test_a_key_belongs_to_one_core(admin):
    event = event_name()
    first_core, second_core = echo_core(admin, event), echo_core(admin, event)
    key = f"shared-{tag()}"
    first = accepted(post_event(admin, first_core["id"], event, {"n": 1}, key=key))
    second_response = post_event(admin, second_core["id"], event, {"n": 1}, key=key)
    second = accepted(second_response)
    assert second_response.headers.get("Idempotency-Replayed", "").lower() != "true"
    assert second["event_id"] != first["event_id"] and second["run_id"] != first["run_id"]
    assert wait_run(admin, second["run_id"])["status"] == "completed"


def test_a_reused_key_with_another_body_is_refused_and_stores_nothing(admin):
    event = event_name()
    core = echo_core(admin, event)
    key = f"k-{tag()}"
    answer = accepted(post_event(admin, core["id"], event, {"n": 1}, key=key))
    wait_run(admin, answer["run_id"])
    runs_before, events_before = runs_of(admin, core["id"]), events_of(admin, core["id"])

    for body in ({"n": 2}, None, {"n": 1, "extra": True}):
        assert_error(post_event(admin, core["id"], event, body, key=key), 422, "idempotency_key_reused")
    other_event = event_name()
    assert_error(post_event(admin, core["id"], other_event, {"n": 1}, key=key), 422, "idempotency_key_reused")

    assert runs_of(admin, core["id"]) == runs_before
    assert events_of(admin, core["id"]) == events_before
    # The original request is still replayed.
    again = post_event(admin, core["id"], event, {"n": 1}, key=key)
    assert again.status_code == 202 and again.json() == answer


def test_an_overlong_idempotency_key_is_refused(admin):
    event = event_name()
    core = echo_core(admin, event)
    response = post_event(admin, core["id"], event, {}, key="k" * 256)
    assert response.status_code == 400, response.text
    nothing_stored(admin, core["id"])
    accepted(post_event(admin, core["id"], event, {}, key="k" * 255))


# --- refusals ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["created", "stopped"])
def test_a_core_that_is_neither_running_nor_paused_refuses_events(admin, status):
    event = event_name()
    core = echo_core(admin, event, status=status)
    error = assert_error(post_event(admin, core["id"], event, {"n": 1}, key=f"k-{tag()}"), 409, "core_not_running")
    assert error["details"]["status"] == status, error
    error = assert_error(invoke(admin, core["id"], "direct", {}), 409, "core_not_running")
    assert error["details"]["status"] == status, error
    nothing_stored(admin, core["id"])


def test_a_paused_core_accepts_events_and_runs_them_after_resume(admin):
    event = event_name()
    core = echo_core(admin, event, status="paused")
    answers = [fire(admin, core["id"], event, {"n": n}) for n in range(3)]
    for answer in answers:
        assert get_run(admin, answer["run_id"])["status"] == "queued"
    assert [item["status"] for item in events_of(admin, core["id"])] == ["accepted"] * 3

    # Nothing runs while the Core is paused.
    time.sleep(1.5)
    assert {r["status"] for r in runs_of(admin, core["id"])} == {"queued"}

    assert admin.post(f"/cores/{core['id']}/resume").status_code == 200
    for n, answer in enumerate(answers):
        run = wait_run(admin, answer["run_id"])
        assert run["status"] == "completed" and run["output"] == {"n": n}, run


def test_an_event_no_flow_subscribes_to_is_recorded_as_unmatched(admin):
    event = event_name()
    core = echo_core(admin, event)
    other = event_name("nobody")
    response = post_event(admin, core["id"], other, {"x": 1})
    answer = accepted(response, runs=0)
    assert answer["run_id"] is None and answer["run_ids"] == []
    items = events_of(admin, core["id"])
    assert len(items) == 1
    assert items[0]["id"] == answer["event_id"] and items[0]["status"] == "unmatched"
    assert items[0]["run_ids"] == [] and items[0]["event_name"] == other and items[0]["source"] == "api"
    assert runs_of(admin, core["id"]) == []


# (body: JSON value or raw bytes, code, problem paths or None)
BAD_BODIES = {
    "missing event_name": ({"data": {"x": 1}}, "invalid_request", ["event_name"]),
    "empty event_name": ({"event_name": ""}, "invalid_request", ["event_name"]),
    "space in the name": ({"event_name": "invoice received"}, "invalid_request", ["event_name"]),
    "slash in the name": ({"event_name": "invoice/received"}, "invalid_request", ["event_name"]),
    "non-ascii name": ({"event_name": "caf\u00e9.opened"}, "invalid_request", ["event_name"]),
    "name of 201 characters": ({"event_name": "a" * 201}, "invalid_request", ["event_name"]),
    "number as name": ({"event_name": 42}, "invalid_request", ["event_name"]),
    "null name": ({"event_name": None}, "invalid_request", ["event_name"]),
    "object as name": ({"event_name": {"name": "x"}}, "invalid_request", ["event_name"]),
    "unknown field": ({"event_name": "ok.event", "payload": {}}, "invalid_request", ["payload"]),
    "array body": (["ok.event"], "invalid_request", ["$", "event_name"]),
    "malformed json": (b'{"event_name": "ok.event",', "malformed_json", None),
    "trailing garbage": (b'{"event_name": "ok.event"} x', "malformed_json", None),
    "empty body": (b"", "malformed_json", None),
    "not utf-8": (b'{"event_name": "ok.event", "data": "\xff"}', "invalid_encoding", None),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_a_bad_body_is_refused_and_stores_nothing(admin, case):
    body, code, paths = BAD_BODIES[case]
    core = echo_core(admin, "ok.event")
    if isinstance(body, bytes):
        kwargs = {"data": body, "headers": {"Content-Type": "application/json", "Idempotency-Key": f"k-{tag()}"}}
    else:
        kwargs = {"json": body, "headers": {"Idempotency-Key": f"k-{tag()}"}}
    error = assert_error(admin.post(f"/cores/{core['id']}/events", **kwargs), 400, code)
    if paths is not None:
        assert sorted(problem_paths(error)) == sorted(paths), error
    nothing_stored(admin, core["id"])


def test_an_unknown_core_is_not_found(admin):
    assert_error(post_event(admin, missing_core_id(), "any.event", {}), 404, "not_found")


def test_another_tenants_core_is_not_found_and_gets_nothing(admin, other_tenant):
    event = event_name()
    core = echo_core(admin, event)
    response = post_event(other_tenant, core["id"], event, {"n": 1}, key=f"k-{tag()}")
    assert_error(response, 404, "not_found")
    assert_error(invoke(other_tenant, core["id"], "direct", {}), 404, "not_found")
    assert_error(other_tenant.get(f"/cores/{core['id']}/events"), 404, "not_found")
    assert_error(other_tenant.get(f"/cores/{core['id']}/runs"), 404, "not_found")
    nothing_stored(admin, core["id"])
    # And its runs are invisible to the other tenant.
    answer = fire(admin, core["id"], event, {"n": 2})
    assert_error(other_tenant.get(f"/runs/{answer['run_id']}"), 404, "not_found")


def test_a_viewer_may_not_post_events(admin, role_client):
    event = event_name()
    core = echo_core(admin, event)
    viewer = role_client("viewer")
    assert_error(post_event(viewer, core["id"], event, {"n": 1}), 403, "forbidden")
    assert_error(invoke(viewer, core["id"], "direct", {}), 403, "forbidden")
    nothing_stored(admin, core["id"])


# --- several flows, entities ----------------------------------------------------------------------

def test_two_flows_on_one_event_give_two_runs_in_flow_name_order(admin):
    event = event_name("order.created")
    # Declared out of name order on purpose: run_ids follow flow names, not declaration order.
    ir = bundle({"zeta_ship": on_event(event, returns({"flow": "ship", "order": "{{ input.order }}"})),
                 "alpha_bill": on_event(event, returns({"flow": "bill", "order": "{{ input.order }}"})),
                 "unrelated": on_event(event_name("other"), returns())})
    core = live_core(admin, ir)
    answer = fire(admin, core["id"], event, {"order": 7}, runs=2)
    first, second = (wait_run(admin, run_id) for run_id in answer["run_ids"])
    assert first["flow"] == "alpha_bill" and second["flow"] == "zeta_ship"
    assert first["output"] == {"flow": "bill", "order": 7} and second["output"] == {"flow": "ship", "order": 7}
    assert first["trigger"]["event_id"] == second["trigger"]["event_id"] == answer["event_id"]
    assert events_of(admin, core["id"])[0]["run_ids"] == answer["run_ids"]
    assert sorted(r["id"] for r in runs_of(admin, core["id"])) == sorted(answer["run_ids"])


ENTITIES = {"customer": {"key": "input.customer_id"}}


def visits_ir(event):
    """Each `record` run reads the counter and the order list, sleeps a second when asked (holding
    its turn), then writes counter+1 and the list with its own `seq` appended."""
    record = on_event(
        event,
        {"id": "load", "op": "memory.get", "key": "c:{{ entity.key }}:count", "default": 0, "out": "count"},
        {"id": "seen", "op": "memory.get", "key": "c:{{ entity.key }}:order", "default": [], "out": "order"},
        {"id": "nap", "op": "sleep", "duration": "PT1S", "when": "input.slow == true"},
        {"id": "bump", "op": "set", "var": "next", "value": "{{ count + 1 }}"},
        {"id": "store_order", "op": "memory.put", "key": "c:{{ entity.key }}:order", "value": "{{ order + [input.seq] }}"},
        {"id": "store", "op": "memory.put", "key": "c:{{ entity.key }}:count", "value": "{{ next }}"},
        returns({"count": "{{ next }}", "seq": "{{ input.seq }}"}),
        entity="customer")
    count = on_api(
        {"id": "load", "op": "memory.get", "key": "c:{{ entity.key }}:count", "default": 0, "out": "count"},
        {"id": "seen", "op": "memory.get", "key": "c:{{ entity.key }}:order", "default": [], "out": "order"},
        returns({"count": "{{ count }}", "order": "{{ order }}"}),
        entity="customer")
    return bundle({"record": record, "count": count}, entities=ENTITIES)


def read_count(api, core_id, customer):
    response = invoke(api, core_id, "count", {"customer_id": customer}, wait=30)
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["status"] == "completed", run
    return run["output"]


def span(run):
    """(first effect started, last effect recorded) of a run, from its journal."""
    starts = [parse_time(entry["started_at"]) for entry in run["journal"]]
    ends = [parse_time(entry["recorded_at"]) for entry in run["journal"]]
    return min(starts), max(ends)


def test_runs_for_one_entity_key_run_one_at_a_time(admin, server):
    event = event_name("customer.visited")
    core = live_core(admin, visits_ir(event))

    def send(seq):
        api = Api(server.url, server.token)  # one session per thread
        return accepted(post_event(api, core["id"], event, {"customer_id": "c-1", "seq": seq, "slow": True}))

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, range(10)))
    runs = [wait_run(admin, answer["run_id"], timeout=90) for answer in answers]
    assert all(run["status"] == "completed" for run in runs), [(r["id"], r["status"], r["error"]) for r in runs]
    assert all("c-1" in json.dumps(run["entity"]) for run in runs), runs[0]["entity"]

    # Each run saw the write of the one before it: no update was lost.
    assert sorted(run["output"]["count"] for run in runs) == list(range(1, 11))
    final = read_count(admin, core["id"], "c-1")
    assert final["count"] == 10, final
    assert sorted(final["order"]) == list(range(10))
    by_count = sorted(runs, key=lambda run: run["output"]["count"])
    assert [run["output"]["seq"] for run in by_count] == final["order"], "the n-th run appended the n-th seq"

    # And no two of them overlapped (a run keeps its turn while it sleeps).
    spans = sorted(span(run) for run in runs)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end, f"two runs of c-1 overlapped: one ended at {end}, the next started at {start}"


def test_runs_for_one_entity_key_run_in_the_order_they_were_accepted(admin):
    event = event_name("customer.visited")
    core = live_core(admin, visits_ir(event), status="paused")
    # Accepted one after the other while paused, so they all wait; then they run in that order.
    answers = [fire(admin, core["id"], event, {"customer_id": "c-2", "seq": seq}) for seq in range(5)]
    other = fire(admin, core["id"], event, {"customer_id": "c-3", "seq": 99})
    assert admin.post(f"/cores/{core['id']}/resume").status_code == 200
    runs = [wait_run(admin, answer["run_id"]) for answer in answers]
    assert [run["output"] for run in runs] == [{"count": n + 1, "seq": n} for n in range(5)]
    assert read_count(admin, core["id"], "c-2") == {"count": 5, "order": [0, 1, 2, 3, 4]}
    assert wait_run(admin, other["run_id"])["output"] == {"count": 1, "seq": 99}
    assert read_count(admin, core["id"], "c-3") == {"count": 1, "order": [99]}


@pytest.mark.parametrize("data", [{}, {"customer_id": None}, {"customer_id": ""}, {"customer_id": {"id": 1}}],
                         ids=["absent", "null", "empty", "object"])
def test_an_entity_event_without_a_usable_key_is_refused(admin, data):
    event = event_name("customer.visited")
    core = live_core(admin, visits_ir(event))
    assert_error(post_event(admin, core["id"], event, data, key=f"k-{tag()}"), 422, "entity_key_missing")
    assert_error(invoke(admin, core["id"], "count", data), 422, "entity_key_missing")
    nothing_stored(admin, core["id"])


# --- the queue limit ---------------------------------------------------------------------------------

def test_a_full_queue_refuses_with_429_and_stores_nothing():
    appliance = ephemeral_server({"runtime.max_queued_runs": 3})
    try:
        api = appliance.api()
        event = event_name()
        core = echo_core(api, event, status="paused")
        answers = [fire(api, core["id"], event, {"n": n}, key=f"k-{n}") for n in range(3)]

        refused = post_event(api, core["id"], event, {"n": 3}, key="k-3")
        assert_error(refused, 429, "queue_full")
        retry_after = refused.headers.get("Retry-After")
        assert retry_after is not None and retry_after.strip().isdigit(), dict(refused.headers)
        assert_error(invoke(api, core["id"], "direct", {"n": 4}), 429, "queue_full")
        assert sorted(item["id"] for item in events_of(api, core["id"])) == sorted(a["event_id"] for a in answers)
        assert sorted(run["id"] for run in runs_of(api, core["id"])) == sorted(a["run_id"] for a in answers)

        assert api.post(f"/cores/{core['id']}/resume").status_code == 200
        for n, answer in enumerate(answers):
            run = wait_run(api, answer["run_id"])
            assert run["status"] == "completed" and run["output"] == {"n": n}, run

        # The refused request's key was not kept: sent again, it is a new request.
        again = post_event(api, core["id"], event, {"n": 3}, key="k-3")
        answer = accepted(again)
        assert again.headers.get("Idempotency-Replayed", "").lower() != "true"
        assert wait_run(api, answer["run_id"])["output"] == {"n": 3}
        assert len(events_of(api, core["id"])) == 4
    finally:
        appliance.stop()
