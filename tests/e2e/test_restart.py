"""Restarts: a clean stop keeps everything; a crash is recovered; SIGTERM lets in-flight requests finish."""
import concurrent.futures
import os
import signal
import threading

import requests

from conftest import MINIMAL_IR, Server, snapshot


def start(data_dir):
    return Server(["--data-dir", data_dir, "--port", "0"], ephemeral=False)


def audit_of(api, core_id):
    return api.get("/audit", params={"target_id": core_id, "limit": 200}).json()["items"]


def populate(api):
    running = api.create_core("running one")
    assert api.post(f"/cores/{running['id']}/start").status_code == 200
    paused = api.create_core("paused one")
    assert api.post(f"/cores/{paused['id']}/start").status_code == 200
    assert api.post(f"/cores/{paused['id']}/pause").status_code == 200
    created = api.create_core("created one", plugins=["payments"], runtime_config={"default_assignee": "role:viewer"})
    assert api.patch(f"/cores/{created['id']}", json={"name": "renamed"}).status_code == 200
    return running["id"], paused["id"], created["id"]


def test_a_clean_restart_keeps_everything(tmp_path):
    data = str(tmp_path / "data")
    first = start(data)
    token = first.token
    assert token, "the first start prints an admin token"
    api = first.api()
    running, paused, created = populate(api)
    before = snapshot(api)
    assert os.path.exists(os.path.join(data, "appliance.running"))
    assert first.stop(signal.SIGTERM) == 0
    assert not os.path.exists(os.path.join(data, "appliance.running")), "a clean stop removes the run marker"

    second = start(data)
    try:
        api = second.api(token)
        assert snapshot(api) == before, "every Core, field and version survives a clean restart"
        statuses = {core["id"]: core["status"] for core in before}
        assert statuses[running] == "running" and statuses[paused] == "paused" and statuses[created] == "created"
        assert all(entry["actor"] != "system" for entry in audit_of(api, running))
        # The recovered engines work: the running Core can be stopped, the paused one resumed.
        assert api.post(f"/cores/{running}/stop").json()["status"] == "stopped"
        assert api.post(f"/cores/{paused}/resume").json()["status"] == "running"
    finally:
        assert second.stop() == 0


def test_a_crash_is_recovered_through_crashed_and_restarting(tmp_path):
    data = str(tmp_path / "data")
    first = start(data)
    token = first.token
    running, paused, created = populate(first.api())
    first.stop(signal.SIGKILL)

    second = start(data)
    try:
        api = second.api(token)
        assert api.get(f"/cores/{running}").json()["status"] == "running"
        assert api.get(f"/cores/{paused}").json()["status"] == "paused"
        assert api.get(f"/cores/{created}").json()["name"] == "renamed"
        moves = [(e["details"]["from"], e["details"]["to"]) for e in audit_of(api, running) if e["actor"] == "system"]
        assert moves == [("running", "crashed"), ("crashed", "restarting"), ("restarting", "running")]
        assert "uncleanly" in [e for e in audit_of(api, running) if e["actor"] == "system"][0]["details"]["reason"]
    finally:
        second.stop()


def test_sigterm_finishes_in_flight_requests_and_loses_nothing_acknowledged(tmp_path):
    data = str(tmp_path / "data")
    server = start(data)
    token = server.token
    url = server.url
    acknowledged, failures = [], []
    stop = threading.Event()

    def writer(worker):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        n = 0
        while not stop.is_set():
            n += 1
            try:
                response = session.post(f"{url}/v1/modules/scaicore/cores", json={"name": f"w{worker}-{n}", "ir": MINIMAL_IR}, timeout=10)
            except requests.RequestException:
                return  # the listener closed: expected once shutdown begins
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])
            else:
                failures.append((response.status_code, response.text))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(writer, worker) for worker in range(8)]
        threading.Event().wait(1.0)
        assert server.stop(signal.SIGTERM) == 0
        stop.set()
        for future in futures:
            future.result()

    assert acknowledged, "the load ran"
    assert failures == [], "no request may fail with an error status during shutdown"
    second = start(data)
    try:
        stored = {core["id"] for core in snapshot(second.api(token))}
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged Cores were lost"
    finally:
        second.stop()
