"""Crash safety of the runtime (docs/runtime.md, "The story", last paragraph): an appliance under a
steady load of events — each run writes memory, calls a plugin, every third one waits for an
approver at a checkpoint, and each emits an event that a second Core counts — is SIGKILLed at
random moments more than twenty times and started again on the same data directory.

At the end, after a last restart and a settling period:
- every event the appliance acknowledged (202) is stored once with its run, and retried requests
  (same Idempotency-Key) made no second event;
- every run completed, failed with a code and a message, or waits at an open checkpoint; once the
  remaining checkpoints are resolved, every run completed;
- no journal has a key twice; each run's plugin effect was performed within the retry contract
  (never twice by one process, never after it was journaled) and its receipt is the one the plugin
  gave; each completed run's emitted event exists exactly once; each checkpointed run has exactly
  one checkpoint, resolved, and resumed from its stored state (no run failed for want of it);
- after each restart both Cores were running again, and the audit log shows
  crashed → restarting → running once per kill.
"""
import collections
import concurrent.futures
import itertools
import json
import random
import threading
import time

import requests

from conftest import API, Api, issue_token
from runtime_load_support import (MOVING, CrashableAppliance, FakePlugin, bundle, events_of, list_all, live_core,
                                  on_event, parse_time, returns, wait_until)

SEED = 20261126
KILLS = 22
LOAD_BETWEEN_KILLS = (0.05, 2.0)  # seconds of load after a restart before the next SIGKILL
POSTERS = 2
PACE = 0.08  # seconds a poster rests between two events
MAX_EVENTS = 1200
SETTLE_TIMEOUT = 120
JOB_EVENT = "job.requested"
DONE_EVENT = "job.done"
# Error codes that would mean a suspended run's stored state (its checkpoint blob) was missing or unusable.
STATE_CODES = {"state_format", "state_mismatch", "state_missing", "state_not_found", "checkpoint_state_missing",
               "not_suspended", "wrong_resolution"}
# The plugin call's `step`: its key (as in the Idempotency-Key header) or its path in the bundle.
STEP_NAMES = {"charge", "flows.handle.steps[1]"}
SYSTEM_MOVES = [("running", "crashed"), ("crashed", "restarting"), ("restarting", "running")]

APPROVAL = {"id": "approval", "op": "checkpoint", "kind": "approval", "title": "Approve job {{ input.id }}",
            "assignee": "role:approver", "out": "decision"}


def worker_ir():
    return bundle({"handle": on_event(
        JOB_EVENT,
        {"id": "put", "op": "memory.put", "key": "job:{{ input.id }}", "value": {"n": "{{ input.n }}"}},
        {"id": "charge", "op": "plugin", "plugin": "ledger", "action": "charge",
         "args": {"id": "{{ input.id }}", "n": "{{ input.n }}"}, "out": "receipt"},
        {"id": "gate", "op": "if", "cond": "input.n % 3 == 0", "then": [APPROVAL]},
        {"id": "announce", "op": "emit", "event": DONE_EVENT, "data": {"id": "{{ input.id }}", "receipt": "{{ receipt.receipt }}"}},
        returns({"id": "{{ input.id }}", "receipt": "{{ receipt.receipt }}", "approved": "{{ decision.approved }}"}))},
        name="crash-worker", plugins=["ledger"])


def counter_ir():
    return bundle({"count": on_event(
        DONE_EVENT,
        {"id": "seen", "op": "memory.put", "key": "seen:{{ input.id }}", "value": "{{ input.receipt }}"},
        returns({"id": "{{ input.id }}"}))}, name="crash-counter")


def flaky(body):
    """Every fifth job's first plugin call answers 503: the bridge retries it with the same key."""
    args = body.get("args") if isinstance(body, dict) else None
    return isinstance(args, dict) and isinstance(args.get("n"), int) and args["n"] % 5 == 1


def expected_keys(n):
    return ["put", "charge"] + (["approval"] if n % 3 == 0 else []) + ["announce"]


class Driver:
    """The load: posters send events with unique Idempotency-Keys (a request that got no answer is
    sent again, same key and body, until it gets one); an approver resolves open checkpoints."""

    def __init__(self, node, core_id, approver_token):
        self.node, self.core_id, self.approver_token = node, core_id, approver_token
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        self.sent = {}  # key → body (every key ever tried)
        self.acked = {}  # key → the 202 body
        self.replayed = set()  # keys whose 202 said Idempotency-Replayed: true
        self.pending = collections.deque()  # (key, body) to send again
        self.unexpected = []
        self.connection_failures = 0
        self.busy_answers = 0
        self.resolved = []
        self.stop_new = threading.Event()
        self.stop_approver = threading.Event()

    def _session(self, token):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        return session

    def post_events(self, worker):
        session = self._session(self.node.token)
        rng = random.Random(SEED * 100 + worker)
        while True:
            try:
                item = self.pending.popleft()
            except IndexError:
                item = None
            if item is None:
                if self.stop_new.is_set():
                    return
                n = next(self.counter)
                if n > MAX_EVENTS:
                    self.stop_new.set()
                    continue
                key, body = f"job-{n:05d}", {"event_name": JOB_EVENT, "data": {"id": f"j{n:05d}", "n": n}}
                with self.lock:
                    self.sent[key] = body
                item = (key, body)
            key, body = item
            url = self.node.url
            if url is None:
                self.pending.append(item)
                time.sleep(0.05)
                continue
            try:
                response = session.post(f"{url}{API}/cores/{self.core_id}/events", json=body,
                                        headers={"Idempotency-Key": key}, timeout=(2, 15))
                if response.status_code == 202:
                    answer = response.json()
            except requests.RequestException:  # the process died under the request: no answer, send it again
                with self.lock:
                    self.connection_failures += 1
                self.pending.append(item)
                time.sleep(0.05)
                continue
            if response.status_code == 202:
                with self.lock:
                    if key in self.acked and self.acked[key] != answer:
                        self.unexpected.append(("a replay answered differently", key, self.acked[key], answer))
                    self.acked.setdefault(key, answer)
                    if response.headers.get("Idempotency-Replayed", "").lower() == "true":
                        self.replayed.add(key)
            elif response.status_code in (429, 503):  # queue_full, storage_busy: try again later
                with self.lock:
                    self.busy_answers += 1
                self.pending.append(item)
                time.sleep(0.2)
            else:
                with self.lock:
                    self.unexpected.append(("POST events", key, response.status_code, response.text[:300]))
            time.sleep(PACE * rng.uniform(0.5, 1.5))

    def approve(self):
        session = self._session(self.approver_token)
        while not self.stop_approver.is_set():
            url = self.node.url
            if url is None:
                time.sleep(0.05)
                continue
            try:
                response = session.get(f"{url}{API}/checkpoints", timeout=(2, 15), params={
                    "status": "open", "core_id": self.core_id, "assignee": "me", "limit": 200})
                if response.status_code != 200:
                    with self.lock:
                        self.unexpected.append(("GET checkpoints", response.status_code, response.text[:300]))
                    time.sleep(0.5)
                    continue
                for checkpoint in response.json()["items"]:
                    if self.stop_approver.is_set():
                        break
                    answer = session.post(f"{url}{API}/checkpoints/{checkpoint['id']}/resolve", timeout=(2, 15),
                                          json={"decision": "approved", "comment": "ok"})
                    if answer.status_code == 200:
                        with self.lock:
                            self.resolved.append(checkpoint["id"])
                    elif answer.status_code == 409 and answer.json()["error"]["code"] in ("checkpoint_not_open", "already_decided"):
                        pass  # resolved before a crash ate the answer
                    else:
                        with self.lock:
                            self.unexpected.append(("resolve", checkpoint["id"], answer.status_code, answer.text[:300]))
            except requests.RequestException:
                time.sleep(0.05)
                continue
            except Exception as error:  # never die silently: the test reports it
                with self.lock:
                    self.unexpected.append(("approver", repr(error)))
                time.sleep(0.5)
                continue
            time.sleep(0.2)


def fetch_runs(node, run_ids):
    """GET /runs/{id} for every id (8 at a time); answers {id: (status code, body)}."""
    local = threading.local()

    def fetch(run_id):
        if not hasattr(local, "api"):
            local.api = node.api()
        response = local.api.get(f"/runs/{run_id}")
        return run_id, (response.status_code, response.json() if response.status_code == 200 else response.text)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return dict(pool.map(fetch, run_ids))


def moving_runs(api, core_id):
    return list_all(api, f"/cores/{core_id}/runs", {"status": ",".join(sorted(MOVING))})


def system_moves(api, core_id):
    entries = list_all(api, "/audit", {"target_id": core_id})
    return [(e["details"]["from"], e["details"]["to"]) for e in entries if e["actor"] == "system"]


def test_sigkill_under_load_loses_no_acknowledged_event_and_repeats_no_effect(tmp_path):
    began = time.monotonic()
    plugin = FakePlugin(flaky=flaky)
    node = CrashableAppliance(tmp_path / "data", {"checkpoints.sweep_interval_seconds": 1,
                                                   "plugins.endpoints": f"ledger={plugin.url}/ledger"})
    node.on_start.append(lambda incarnation: setattr(plugin, "incarnation", incarnation))
    cores = []
    not_running = []

    def cores_are_running(server):
        """After every start, before the load sees the new process: both Cores are running again."""
        api = Api(server.url, node.token)
        for core_id in cores:
            try:
                wait_until(lambda: api.get(f"/cores/{core_id}").json()["status"] == "running", timeout=20,
                           interval=0.05, what=f"Core {core_id} to be running after restart {node.incarnation}")
            except AssertionError as error:
                not_running.append(str(error))
                raise

    node.before_serving.append(cores_are_running)
    threads = []
    driver = None
    try:
        node.start()
        api = node.api()
        worker = live_core(api, worker_ir(), name="crash worker", plugins=["ledger"])
        counter = live_core(api, counter_ir(), name="crash counter")
        cores += [worker["id"], counter["id"]]
        _, approver_token = issue_token(node.data_dir, "approver")
        assert Api(node.url, approver_token).get("/me").json()["role"] == "approver"

        driver = Driver(node, worker["id"], approver_token)
        threads = [threading.Thread(target=driver.post_events, args=(w,), daemon=True) for w in range(POSTERS)]
        approver_thread = threading.Thread(target=driver.approve, daemon=True)
        for thread in threads + [approver_thread]:
            thread.start()

        rng = random.Random(SEED)
        for _ in range(KILLS):
            time.sleep(rng.uniform(*LOAD_BETWEEN_KILLS))
            node.kill()
            node.start()  # waits for /readyz and for both Cores to be running
        load_seconds = time.monotonic() - began

        # The last process keeps running: stop making new events, send every unanswered one again.
        driver.stop_new.set()
        for thread in threads:
            thread.join(timeout=90)
            assert not thread.is_alive(), "a poster could not get its events acknowledged after the last restart"
        assert driver.unexpected == [], f"answers outside the contract: {driver.unexpected[:10]}"
        assert set(driver.acked) == set(driver.sent), f"{len(set(driver.sent) - set(driver.acked))} events never acknowledged"
        acked = dict(driver.acked)
        assert len(acked) >= 100, f"the load hardly ran: {len(acked)} events"

        api = node.api()
        # Settle: the runs that need nobody finish; the ones at a checkpoint wait (the approver stops).
        driver.stop_approver.set()
        approver_thread.join(timeout=30)
        wait_until(lambda: not moving_runs(api, worker["id"]), timeout=SETTLE_TIMEOUT, interval=0.5,
                   what="the worker's queued, running and sleeping runs to finish")

        # 1. Every acknowledged event has its run, and is stored once.
        body_of = {key: driver.sent[key] for key in acked}
        assert all(len(a["run_ids"]) == 1 and a["run_id"] == a["run_ids"][0] for a in acked.values())
        assert len({a["event_id"] for a in acked.values()}) == len(acked), "two keys answered with one event"
        run_to_key = {a["run_id"]: key for key, a in acked.items()}
        assert len(run_to_key) == len(acked), "two keys answered with one run"
        events = events_of(api, worker["id"])
        api_events = [e for e in events if e["source"] == "api"]
        by_event_id = {e["id"]: e for e in api_events}
        assert len(by_event_id) == len(api_events)
        missing = [key for key, a in acked.items() if a["event_id"] not in by_event_id]
        assert not missing, f"{len(missing)} acknowledged events are not listed, e.g. {missing[:5]}"
        assert len(api_events) == len(acked), (
            f"{len(api_events)} events stored for {len(acked)} keys: a retried request made a second event")
        for key, answer in acked.items():
            stored = by_event_id[answer["event_id"]]
            assert stored["run_ids"] == answer["run_ids"] and stored["status"] == "accepted", (key, stored, answer)
            assert stored["data"] == body_of[key]["data"] and stored["event_name"] == JOB_EVENT, (key, stored)

        fetched = fetch_runs(node, list(run_to_key))
        lost = {rid: got for rid, got in fetched.items() if got[0] != 200}
        assert not lost, f"{len(lost)} acknowledged runs cannot be read, e.g. {list(lost.items())[:3]}"
        runs = {rid: got[1] for rid, got in fetched.items()}

        # 2. Each run is completed, failed with a code and a message, or suspended at an open checkpoint.
        suspended = []
        for run_id, run in runs.items():
            key = run_to_key[run_id]
            assert run["input"] == body_of[key]["data"], run
            assert run["trigger"]["event_id"] == acked[key]["event_id"], run
            if run["status"] == "completed":
                continue
            if run["status"] == "failed":
                error = run["error"] or {}
                assert isinstance(error.get("code"), str) and error["code"], run
                assert isinstance(error.get("message"), str) and error["message"], run
                continue
            assert run["status"] == "suspended" and run["checkpoint_id"], f"a run left {run['status']}: {json.dumps(run)[:600]}"
            checkpoint = api.get(f"/checkpoints/{run['checkpoint_id']}").json()
            assert checkpoint["status"] == "open" and checkpoint["run_id"] == run_id, checkpoint
            suspended.append(run)

        # Resolve what is left: each resumes from its stored state (its blob must be there).
        approver = Api(node.url, approver_token)
        for run in suspended:
            response = approver.post(f"/checkpoints/{run['checkpoint_id']}/resolve",
                                     json={"decision": "approved", "comment": "late"})
            assert response.status_code == 200, response.text
        wait_until(lambda: not list_all(api, f"/cores/{worker['id']}/runs", {"status": "queued,running,sleeping,suspended"}),
                   timeout=SETTLE_TIMEOUT, interval=0.5, what="every worker run to finish")
        wait_until(lambda: not moving_runs(api, counter["id"]), timeout=SETTLE_TIMEOUT, interval=0.5,
                   what="the counter's runs to finish")
        runs = {rid: got[1] for rid, got in fetch_runs(node, list(run_to_key)).items()}

        failed = {rid: run["error"] or {"code": "", "message": ""} for rid, run in runs.items() if run["status"] == "failed"}
        state_failures = {rid: e for rid, e in failed.items()
                          if e["code"] in STATE_CODES or "state" in e["code"] or "checkpoint" in e["code"]}
        assert not state_failures, f"runs failed resuming from their stored state: {list(state_failures.items())[:5]}"
        assert not failed, f"{len(failed)} runs failed: {collections.Counter(e['code'] for e in failed.values())}, e.g. {list(failed.items())[:3]}"
        assert {run["status"] for run in runs.values()} == {"completed"}, collections.Counter(r["status"] for r in runs.values())

        # 3. Journals: every effect once, in order.
        for run_id, run in runs.items():
            n = body_of[run_to_key[run_id]]["data"]["n"]
            keys = [entry["key"] for entry in run["journal"]]
            assert len(keys) == len(set(keys)), f"run {run_id} journaled a key twice: {keys}"
            assert keys == expected_keys(n), f"run {run_id} (n={n}) journal {keys}"
            assert run["output"]["id"] == f"j{n:05d}", run["output"]
            assert run["output"]["approved"] is (True if n % 3 == 0 else None), run["output"]

        # 4. The plugin: each run's effect within the retry contract, and the receipt it answered kept.
        calls = plugin.calls_by_key()
        known = {f"{run_id}:charge" for run_id in runs}
        assert set(calls) <= known, f"plugin calls with unknown keys: {sorted(set(calls) - known)[:5]}"
        assert set(calls) == known, f"{len(known - set(calls))} completed runs never called the plugin"
        repeated_across_crashes = 0
        for key, key_calls in calls.items():
            run_id = key.split(":", 1)[0]
            run = runs[run_id]
            n = body_of[run_to_key[run_id]]["data"]["n"]
            for call in key_calls:
                assert call["path"] == "/ledger"
                body = dict(call["body"])
                assert body.pop("step", None) in STEP_NAMES, call["body"]
                assert body == {"plugin": "ledger", "action": "charge", "args": {"id": f"j{n:05d}", "n": n},
                                "core_id": worker["id"], "run_id": run_id}, call["body"]
            per_process = collections.Counter(call["incarnation"] for call in key_calls)
            ok_per_process = collections.Counter(call["incarnation"] for call in key_calls if call["status"] == 200)
            assert max(per_process.values()) <= 4, f"{key}: more than 1 call and 3 retries in one process: {key_calls}"
            assert max(ok_per_process.values(), default=0) <= 1, f"{key}: a successful call was repeated by one process"
            if not flaky({"args": {"n": n}}):
                assert max(per_process.values()) == 1, f"{key}: a call that succeeded was retried: {key_calls}"
            repeated_across_crashes += sum(ok_per_process.values()) - 1
            recorded = parse_time(next(e for e in run["journal"] if e["key"] == "charge")["recorded_at"]).timestamp()
            late = [call for call in key_calls if call["at"] > recorded + 1.0]  # 1 s: the API's times may be whole seconds
            assert not late, f"{key}: the plugin was called again after its result was journaled: {late}"
            assert run["output"]["receipt"] == plugin.receipts[key], (key, run["output"], plugin.receipts.get(key))

        # 5. Emitted events: each completed run's event exists exactly once (delivered to the counter,
        # or recorded unmatched on the worker if the counter was not live at that instant).
        delivered = [e for e in events_of(api, counter["id"]) if e["source"] == "emit"]
        unmatched = [e for e in events_of(api, worker["id"]) if e["source"] == "emit"]
        assert all(e["status"] == "unmatched" and e["event_name"] == DONE_EVENT for e in unmatched), unmatched[:3]
        per_run = collections.Counter(e["source_run_id"] for e in delivered + unmatched)
        doubled = {rid: c for rid, c in per_run.items() if c != 1}
        assert not doubled, f"emitted events delivered more than once: {list(doubled.items())[:5]}"
        assert set(per_run) == set(runs), (f"{len(set(runs) - set(per_run))} completed runs' events are missing, "
                                           f"{len(set(per_run) - set(runs))} come from unknown runs")
        for event in delivered:
            n = body_of[run_to_key[event["source_run_id"]]]["data"]["n"]
            assert event["event_name"] == DONE_EVENT and event["data"]["id"] == f"j{n:05d}", event
            assert event["status"] == "accepted" and len(event["run_ids"]) == 1, event
        counter_runs = {rid: got[1] for rid, got in fetch_runs(node, [e["run_ids"][0] for e in delivered]).items()}
        assert all(run["status"] == "completed" for run in counter_runs.values()), \
            collections.Counter(run["status"] for run in counter_runs.values())
        counted = collections.Counter(run["output"]["id"] for run in counter_runs.values())
        assert all(c == 1 for c in counted.values()), [i for i, c in counted.items() if c > 1][:5]

        # 6. Checkpoints: one per checkpointed run, all resolved as approved (none made twice by recovery).
        checkpoints = list_all(api, "/checkpoints", {"core_id": worker["id"]})
        opened = collections.Counter(c["run_id"] for c in checkpoints)
        wanted = {rid for rid in runs if body_of[run_to_key[rid]]["data"]["n"] % 3 == 0}
        assert set(opened) == wanted, (len(set(opened)), len(wanted))
        assert all(c == 1 for c in opened.values()), f"a run opened two checkpoints: {[r for r, c in opened.items() if c > 1][:5]}"
        assert {c["status"] for c in checkpoints} <= {"resolved"}, collections.Counter(c["status"] for c in checkpoints)

        # 7. Lifecycle: both Cores back to running after each restart (checked before the load went
        # on), and audited crashed → restarting → running once per kill.
        assert not_running == []
        for core_id in cores:
            assert api.get(f"/cores/{core_id}").json()["status"] == "running"
            moves = system_moves(api, core_id)
            assert moves == SYSTEM_MOVES * KILLS, f"Core {core_id}: {len(moves)} system moves: {moves[:9]}"

        spread = collections.Counter(len(c) for c in calls.values())
        print(f"\nruntime crash test: {KILLS} kills in {load_seconds:.0f}s of load, total {time.monotonic() - began:.0f}s; "
              f"{len(acked)} events acknowledged ({len(driver.replayed)} by a replay after a lost answer, "
              f"{driver.connection_failures} requests cut by a kill, {driver.busy_answers} busy answers); "
              f"{len(wanted)} checkpoints ({len(driver.resolved)} resolved under load, {len(suspended)} after); "
              f"plugin calls per key {dict(sorted(spread.items()))}, {repeated_across_crashes} effects repeated after a crash "
              f"(key called again by a new process); {len(unmatched)} emitted events unmatched")
    finally:
        if driver is not None:
            driver.stop_new.set()
            driver.stop_approver.set()
        node.stop()
        plugin.close()
