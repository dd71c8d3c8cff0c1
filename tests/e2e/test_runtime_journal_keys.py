"""Journal keys that cannot collide (docs/ir.md, "Effects and the journal"): a step id may contain
`/`, `[` and `]`, so it may spell the key of a step nested in a `call` or a `for_each`. Each such
step still performs its own effect — a memory read, an emit, a plugin call — under its own key.
"""
import pytest

from runtime_load_support import FakePlugin, bundle, config_env, events_of, invoke, journal_keys, live_core, on_api
from conftest import Server
from runtime_support import create_token


@pytest.fixture(scope="module")
def plugged():
    plugin = FakePlugin()
    appliance = Server(["--ephemeral", "--port", "0"], env=config_env({"plugins.endpoints": f"ledger={plugin.url}/ledger"}))
    yield appliance, plugin
    appliance.stop()
    plugin.close()


def seed(api, core_id):
    response = invoke(api, core_id, "seed", wait=20)
    assert response.status_code == 200 and response.json()["status"] == "completed", response.text


def completed(api, core_id, flow):
    response = invoke(api, core_id, flow, wait=20)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed", response.text
    return api.get(f"/runs/{response.json()['id']}").json()  # with its journal


SEED = on_api({"id": "k1", "op": "memory.put", "key": "k1", "value": "one"},
              {"id": "k2", "op": "memory.put", "key": "k2", "value": "two"},
              {"id": "k3", "op": "memory.put", "key": "k3", "value": "three"},
              {"id": "done", "op": "return", "value": "ok"})
READ_K1 = on_api({"id": "g", "op": "memory.get", "key": "k1", "out": "v"},
                 {"id": "e", "op": "emit", "event": "sub.emitted", "data": {"run": "{{ run.id }}"}},
                 {"id": "p", "op": "plugin", "plugin": "ledger", "action": "sub", "args": {}, "out": "receipt"},
                 {"id": "r", "op": "return", "value": "{{ v }}"})


def test_a_step_after_a_call_reads_its_own_key_emits_and_calls_its_plugin(plugged):
    appliance, plugin = plugged
    api = appliance.api()
    main = on_api({"id": "a", "op": "call", "flow": "sub", "out": "s"},
                  {"id": "a/g", "op": "memory.get", "key": "k2", "out": "g2"},
                  {"id": "a/e", "op": "emit", "event": "main.emitted", "data": {"run": "{{ run.id }}"}},
                  {"id": "a/p", "op": "plugin", "plugin": "ledger", "action": "main", "args": {}, "out": "receipt"},
                  {"id": "r", "op": "return", "value": {"s": "{{ s }}", "g2": "{{ g2 }}", "receipt": "{{ receipt.receipt }}"}})
    core = live_core(api, bundle({"seed": SEED, "sub": READ_K1, "main": main}, plugins=["ledger"]), plugins=["ledger"])
    seed(api, core["id"])
    run = completed(api, core["id"], "main")
    assert run["output"]["s"] == "one" and run["output"]["g2"] == "two", run["output"]
    assert journal_keys(run) == ["a/g", "a/e", "a/p", "a%2Fg", "a%2Fe", "a%2Fp"], journal_keys(run)
    emitted = [event["event_name"] for event in events_of(api, core["id"]) if event["source_run_id"] == run["id"]]
    assert sorted(emitted) == ["main.emitted", "sub.emitted"], emitted
    calls = plugin.calls_by_key()
    assert len(calls[f"{run['id']}:a/p"]) == 1 and len(calls[f"{run['id']}:a%2Fp"]) == 1, calls.keys()
    assert calls[f"{run['id']}:a%2Fp"][0]["body"]["action"] == "main"
    assert run["output"]["receipt"] == plugin.receipts[f"{run['id']}:a%2Fp"]


def test_a_step_after_a_loop_reads_its_own_key(plugged):
    appliance, _ = plugged
    api = appliance.api()
    main = on_api({"id": "l", "op": "for_each", "items": "[1]", "as": "item",
                   "steps": [{"id": "g2", "op": "memory.get", "key": "k1", "out": "inner"}]},
                  {"id": "l[0]/g2", "op": "memory.get", "key": "k3", "out": "g3"},
                  {"id": "r", "op": "return", "value": "{{ g3 }}"})
    core = live_core(api, bundle({"seed": SEED, "main": main}))
    seed(api, core["id"])
    run = completed(api, core["id"], "main")
    assert run["output"] == "three", run
    assert journal_keys(run) == ["l[0]/g2", "l%5B0%5D%2Fg2"], journal_keys(run)


def test_a_checkpoint_whose_id_has_separators_is_named_by_its_id(plugged):
    appliance, _ = plugged
    api = appliance.api()
    main = on_api({"id": "l", "op": "for_each", "items": "[1]", "as": "item", "steps": [
        {"id": "ask/1", "op": "checkpoint", "kind": "approval", "title": "Go?", "assignee": "role:admin", "out": "d"}]},
        {"id": "r", "op": "return", "value": "{{ d.approved }}"})
    core = live_core(api, bundle({"main": main}))
    response = invoke(api, core["id"], "main", wait=20)
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["status"] == "suspended", run
    checkpoint = api.get(f"/checkpoints/{run['checkpoint_id']}").json()
    assert checkpoint["step"] == "ask/1", checkpoint
    _, secret = create_token(appliance.data_dir, "admin", user="second-admin")  # no self-approval
    resolved = appliance.api(secret).post(f"/checkpoints/{checkpoint['id']}/resolve", json={"decision": "approved", "wait": 20})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["run"]["output"] is True, resolved.json()
    assert journal_keys(api.get(f"/runs/{run['id']}").json()) == ["l[0]/ask%2F1"]
