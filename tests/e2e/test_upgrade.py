"""Upgrades keep Cores and unfinished runs going (docs/operations.md, "Upgrading"): the data directory in
fixtures/upgrade/legacy-journal-keys.tar.gz was written by the build before journal keys were
escaped (fixtures/upgrade/make_legacy_journal_keys.py says how), with one run suspended at a
checkpoint and one SIGKILLed while its plugin call was in flight. This build starts on it, migrates
it, and both runs finish with the keys they journaled: no effect is repeated, no journaled result
is lost. New runs of the same Core use escaped keys. A Core whose stored IR has names this build
refuses in new IR (a flow `legacy-flow`, an event `legacy event`, a step id with a tab) keeps
running.
"""
import json
import tarfile

import pytest

from conftest import REPO, Server
from runtime_load_support import FakePlugin, config_env, events_of, invoke, journal_keys, wait_run
from runtime_support import create_token

FIXTURE = REPO / "fixtures" / "upgrade" / "legacy-journal-keys.tar.gz"


@pytest.fixture
def upgraded(tmp_path):
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    data_dir = tmp_path / "data"
    manifest = json.loads((data_dir / "manifest.json").read_text())
    plugin = FakePlugin()
    server = Server(["--data-dir", str(data_dir), "--port", "0"], ephemeral=False,
                    env=config_env({"plugins.endpoints": f"ledger={plugin.url}/pay"}))
    yield server, server.api(manifest["token"]), manifest, plugin
    server.stop()
    plugin.close()


def emitted(api, core_id, run_id):
    return [event["event_name"] for event in events_of(api, core_id) if event["source_run_id"] == run_id]


def test_a_run_cut_mid_plugin_call_replays_its_legacy_journal_after_the_upgrade(upgraded):
    server, api, manifest, plugin = upgraded
    run_id = manifest["replay_run_id"]
    run = wait_run(api, run_id)
    assert run["status"] == "completed", run
    # `a/g` found the entry the called flow's `g` journaled under that very key (the old
    # behaviour, kept for this run): its journal is what the run was started with.
    assert run["output"] == {"s": "one", "g2": "one", "receipt": plugin.receipts[f"{run_id}:pay/1"]}, run["output"]
    assert journal_keys(run) == ["note/1", "a/g", "pay/1"], journal_keys(run)
    assert emitted(api, manifest["core_id"], run_id) == ["legacy.replayed"]
    assert [call["key"] for call in plugin.calls_by_key()[f"{run_id}:pay/1"]] == [f"{run_id}:pay/1"]
    core = api.get(f"/cores/{manifest['core_id']}").json()
    assert core["status"] == "running", core


def test_a_run_suspended_before_the_upgrade_resumes_with_its_keys(upgraded):
    server, api, manifest, plugin = upgraded
    run_id = manifest["ask_run_id"]
    assert api.get(f"/runs/{run_id}").json()["status"] == "suspended"
    # The fixture's admin started the run, so another admin decides (no self-approval).
    _, secret = create_token(server.data_dir, "admin", user="second-admin")
    resolved = server.api(secret).post(f"/checkpoints/{manifest['checkpoint_id']}/resolve", json={"decision": "approved", "wait": 30})
    assert resolved.status_code == 200, resolved.text + server.stderr_text()[-3000:]
    run = resolved.json()["run"]
    assert run["status"] == "completed", run
    assert run["output"] == {"s": "one", "g2": "one", "approved": True, "receipt": plugin.receipts[f"{run_id}:pay/1"]}, run
    assert journal_keys(api.get(f"/runs/{run_id}").json()) == ["note/1", "a/g", "ask", "pay/1"]
    assert emitted(api, manifest["core_id"], run_id) == ["legacy.asked"]


def test_new_runs_of_the_upgraded_core_escape_their_keys(upgraded):
    server, api, manifest, plugin = upgraded
    response = invoke(api, manifest["core_id"], "replay", wait=30)
    assert response.status_code == 200, response.text + server.stderr_text()[-4000:]
    run = response.json()
    assert run["status"] == "completed", run
    assert run["output"]["g2"] == "two", run["output"]
    assert journal_keys(api.get(f"/runs/{run['id']}").json()) == ["note%2F1", "a/g", "a%2Fg", "pay%2F1"]
    assert len(plugin.calls_by_key()[f"{run['id']}:pay%2F1"]) == 1


def test_a_core_with_names_this_build_refuses_in_new_ir_keeps_running(upgraded):
    server, api, manifest, plugin = upgraded
    core = api.get(f"/cores/{manifest['names_core_id']}").json()
    assert core["status"] == "running", core
    response = invoke(api, core["id"], "legacy-flow", wait=30)
    assert response.status_code == 200 and response.json()["output"] == "still running", response.text
    # The same IR is refused as new IR, naming each name.
    refused = api.post("/cores", json={"name": "again", "ir": core["ir"]})
    assert refused.status_code == 422, refused.text
    paths = {problem["path"] for problem in refused.json()["error"]["details"]["problems"]}
    assert {"flows.legacy-flow", } <= paths, paths

