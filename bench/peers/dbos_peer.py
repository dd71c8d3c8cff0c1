"""DBOS peer: the appliance's runtime workloads written as DBOS workflows on a SQLite system database.

One measurement per process:

    python dbos_peer.py --workload three_step_flow --concurrency 64 --seconds 5 --workdir DIR

prints one JSON line (see README.md). Used by run_peers.py.

three_step_flow   a @DBOS.workflow of three durable operations:
                  (a) set_var       @DBOS.step computing a value from the input (its output is
                                    checkpointed in the system database),
                  (b) memory_put    @DBOS.step upserting key -> value into a `peer_kv` table in the
                                    same SQLite file (its own committed transaction, then DBOS
                                    checkpoints the step),
                  (c) emit          DBOS.set_event("emitted", ...), DBOS's durable event record
                                    (one transaction that also checkpoints the operation);
                  started with DBOS.start_workflow and awaited with handle.get_result().
checkpoint_round_trip
                  a @DBOS.workflow that publishes DBOS.set_event("status", "awaiting_approval") and
                  then waits in DBOS.recv("approval") (the pattern of DBOS's human-in-the-loop
                  example). From outside: DBOS.start_workflow -> DBOS.get_event(id, "status")
                  (= suspended) -> DBOS.send(id, "approved", "approval") -> handle.get_result().
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from typing import Any, Dict

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
from _common import closed_loop, log, remove_sqlite_files, result_line, synchronous_name  # noqa: E402

from dbos import DBOS, DBOSConfig  # noqa: E402

PEER = "dbos"

# Set in run() before DBOS.launch(); read by the steps.
_DB_PATH = ""
_kv_local = threading.local()


def _kv_connection() -> sqlite3.Connection:
    """One sqlite3 connection per executor thread, on the DBOS system database file, with the
    same transaction style DBOS uses there (BEGIN IMMEDIATE, 30 s busy timeout) and SQLite's
    default synchronous setting."""
    conn = getattr(_kv_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(_DB_PATH, timeout=30.0, isolation_level=None, check_same_thread=True)
        conn.execute("PRAGMA busy_timeout=30000")
        _kv_local.conn = conn
    return conn


# ---- three_step_flow -------------------------------------------------------------------------

@DBOS.step()
def set_var(n: int) -> int:
    return n * 2 + 1


@DBOS.step()
def memory_put(key: str, value: int) -> None:
    conn = _kv_connection()
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "INSERT INTO peer_kv (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, str(value)),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@DBOS.workflow()
def three_step_flow(n: int) -> int:
    value = set_var(n)                                          # (a) set a variable
    memory_put(f"flow:{n}", value)                              # (b) memory.put
    DBOS.set_event("emitted", {"event": "flow.done", "value": value})  # (c) emit
    return value


# ---- checkpoint_round_trip -------------------------------------------------------------------

@DBOS.workflow()
def approval_flow(n: int) -> str:
    DBOS.set_event("status", "awaiting_approval")
    answer = DBOS.recv("approval", timeout_seconds=120)
    if answer is None:
        raise RuntimeError(f"approval_flow {n}: no approval within 120 s")
    return str(answer)


# ---- driver ----------------------------------------------------------------------------------

def _pragmas() -> Dict[str, str]:
    """The journal mode and synchronous level of a connection from DBOS's own engine."""
    from dbos._dbos import _get_dbos_instance  # internal, read-only use

    engine = _get_dbos_instance()._sys_db.engine
    with engine.connect() as c:
        sync = c.exec_driver_sql("PRAGMA synchronous").scalar()
        journal = c.exec_driver_sql("PRAGMA journal_mode").scalar()
    kv_sync = _kv_connection().execute("PRAGMA synchronous").fetchone()[0]
    return {
        "synchronous": synchronous_name(sync),
        "journal_mode": str(journal).upper(),
        "kv_synchronous": synchronous_name(kv_sync),
    }


def run(args) -> Dict[str, Any]:
    global _DB_PATH
    _DB_PATH = os.path.abspath(os.path.join(args.workdir, f"dbos-{args.workload}-c{args.concurrency}.sqlite"))
    remove_sqlite_files(_DB_PATH)

    config: DBOSConfig = {
        "name": "scaicore-peer",
        "system_database_url": f"sqlite:///{_DB_PATH}",
        "log_level": "WARNING",
    }
    if args.poll_interval is not None:
        config["notification_listener_polling_interval_sec"] = args.poll_interval
    poll = args.poll_interval if args.poll_interval is not None else 1.0
    DBOS(config=config)
    DBOS.launch()
    try:
        conn = _kv_connection()
        conn.execute("CREATE TABLE IF NOT EXISTS peer_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        pragmas = _pragmas()
        log(f"dbos: {args.workload} c={args.concurrency} db={_DB_PATH} {pragmas} poll={poll}s")

        if args.workload == "three_step_flow":
            def op(worker: int, seq: int) -> None:
                n = worker * 1_000_000_000 + seq
                handle = DBOS.start_workflow(three_step_flow, n)
                if handle.get_result() != n * 2 + 1:
                    raise RuntimeError("three_step_flow returned a wrong value")
        else:
            def op(worker: int, seq: int) -> None:
                n = worker * 1_000_000_000 + seq
                handle = DBOS.start_workflow(approval_flow, n)
                wid = handle.get_workflow_id()
                status = DBOS.get_event(wid, "status", timeout_seconds=120)
                if status != "awaiting_approval":
                    raise RuntimeError(f"workflow {wid} did not reach its wait (status={status!r})")
                DBOS.send(wid, "approved", "approval")
                if handle.get_result() != "approved":
                    raise RuntimeError(f"workflow {wid} did not complete with the approval")

        result = closed_loop(op, args.concurrency, args.seconds, args.warmup)
    finally:
        DBOS.destroy()

    poll_text = (f"{poll:g} s (DBOS default)" if args.poll_interval is None
                 else f"{poll:g} s (notification_listener_polling_interval_sec; DBOS default 1 s)")
    if args.workload == "three_step_flow":
        notes = (
            f"start_workflow+get_result; set_var step, memory_put step (upsert into peer_kv in the "
            f"same file, own txn), set_event as emit; journal={pragmas['journal_mode']}; limits: one "
            f"SQLite writer at a time (busy waits), sys-db pool 20 (default), GIL across "
            f"{args.concurrency} starter thread(s) + executor threads"
        )
    else:
        notes = (
            f"start_workflow -> set_event(status)+recv in wf -> get_event (suspended) -> send -> "
            f"get_result; recv/get_event wake-ups on SQLite come from DBOS's poller every {poll_text}; "
            f"journal={pragmas['journal_mode']}"
        )
    if pragmas["kv_synchronous"] != pragmas["synchronous"]:
        notes += f"; peer_kv connection synchronous={pragmas['kv_synchronous']}"
    return result_line(PEER, args.workload, args.concurrency, result, pragmas["synchronous"], notes)


def main() -> int:
    parser = _common.peer_arg_parser("DBOS peer for scaicore-appliance bench runtime")
    parser.add_argument(
        "--poll-interval", type=float, default=None,
        help="DBOS notification_listener_polling_interval_sec (default: DBOS's own, 1.0 s)",
    )
    return _common.run_main(run, parser)


if __name__ == "__main__":
    sys.exit(main())
