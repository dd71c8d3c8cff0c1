"""LangGraph peer: the appliance's runtime workloads as LangGraph graphs checkpointed by SqliteSaver.

One measurement per process:

    python langgraph_peer.py --workload three_step_flow --concurrency 64 --seconds 5 --workdir DIR

prints one JSON line (see README.md). Used by run_peers.py.

Both graphs are compiled with a `SqliteSaver` on a file (one sqlite3 connection opened with
check_same_thread=False, as the SqliteSaver docs show) and, for memory.put, a `SqliteStore` (the
framework's own durable key/value store) on the same file. Every run gets its own thread_id.
Durability is LangGraph's default (`durability="async"`): each super-step's checkpoint is written
in a background thread while the next step runs, and `invoke` returns only after all of them are
written.

three_step_flow   START -> set_var -> memory_put -> emit -> END
                  (a) set_var     computes a value from the input into the state,
                  (b) memory_put  runtime.store.put(("memory",), key, {"value": ...}),
                  (c) emit        appends an event to the state's `events` list (reducer: add);
                  one graph.invoke(input, config) per workflow.
checkpoint_round_trip
                  START -> review -> END, where `review` calls interrupt({...}).
                  graph.invoke(input, config) returns with `__interrupt__` (= suspended, the
                  checkpoint and the pending interrupt are on disk), then
                  graph.invoke(Command(resume="approved"), config) runs it to the end.
"""

from __future__ import annotations

import operator
import os
import sqlite3
import sys
from typing import Annotated, Any, Dict, List, TypedDict

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
from _common import closed_loop, log, remove_sqlite_files, result_line, synchronous_name  # noqa: E402

from langgraph.checkpoint.sqlite import SqliteSaver  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402
from langgraph.runtime import Runtime  # noqa: E402
from langgraph.store.sqlite import SqliteStore  # noqa: E402
from langgraph.types import Command, interrupt  # noqa: E402

PEER = "langgraph"


# ---- three_step_flow -------------------------------------------------------------------------

class FlowState(TypedDict, total=False):
    n: int
    value: int
    stored_key: str
    events: Annotated[List[Dict[str, Any]], operator.add]


def set_var(state: FlowState) -> Dict[str, Any]:
    return {"value": state["n"] * 2 + 1}


def memory_put(state: FlowState, runtime: Runtime) -> Dict[str, Any]:
    key = f"flow:{state['n']}"
    runtime.store.put(("memory",), key, {"value": state["value"]})
    return {"stored_key": key}


def emit(state: FlowState) -> Dict[str, Any]:
    return {"events": [{"event": "flow.done", "value": state["value"]}]}


def build_flow(checkpointer, store):
    g = StateGraph(FlowState)
    g.add_node("set_var", set_var)
    g.add_node("memory_put", memory_put)
    g.add_node("emit", emit)
    g.add_edge(START, "set_var")
    g.add_edge("set_var", "memory_put")
    g.add_edge("memory_put", "emit")
    g.add_edge("emit", END)
    return g.compile(checkpointer=checkpointer, store=store)


# ---- checkpoint_round_trip -------------------------------------------------------------------

class ReviewState(TypedDict, total=False):
    n: int
    answer: str


def review(state: ReviewState) -> Dict[str, Any]:
    answer = interrupt({"question": "approve?", "n": state["n"]})
    return {"answer": answer}


def build_review(checkpointer, store):
    g = StateGraph(ReviewState)
    g.add_node("review", review)
    g.add_edge(START, "review")
    g.add_edge("review", END)
    return g.compile(checkpointer=checkpointer, store=store)


# ---- driver ----------------------------------------------------------------------------------

def run(args) -> Dict[str, Any]:
    path = os.path.abspath(os.path.join(args.workdir, f"langgraph-{args.workload}-c{args.concurrency}.sqlite"))
    remove_sqlite_files(path)

    # As in the SqliteSaver docstring: one connection, check_same_thread=False (the saver guards
    # it with a lock). SqliteStore.from_conn_string opens its own connection the same way.
    saver_conn = sqlite3.connect(path, check_same_thread=False)
    saver = SqliteSaver(saver_conn)
    saver.setup()  # sets journal_mode=WAL on the file, creates the tables
    with SqliteStore.from_conn_string(path) as store:
        store.setup()
        sync = synchronous_name(saver_conn.execute("PRAGMA synchronous").fetchone()[0])
        store_sync = synchronous_name(store.conn.execute("PRAGMA synchronous").fetchone()[0])
        journal = str(saver_conn.execute("PRAGMA journal_mode").fetchone()[0]).upper()
        log(f"langgraph: {args.workload} c={args.concurrency} db={path} synchronous={sync} "
            f"store_synchronous={store_sync} journal={journal}")

        if args.workload == "three_step_flow":
            graph = build_flow(saver, store)

            def op(worker: int, seq: int) -> None:
                n = worker * 1_000_000_000 + seq
                config = {"configurable": {"thread_id": f"flow-{worker}-{seq}"}}
                out = graph.invoke({"n": n}, config)
                if out.get("value") != n * 2 + 1 or len(out.get("events", [])) != 1:
                    raise RuntimeError(f"three_step_flow returned {out!r}")
        else:
            graph = build_review(saver, store)

            def op(worker: int, seq: int) -> None:
                n = worker * 1_000_000_000 + seq
                config = {"configurable": {"thread_id": f"review-{worker}-{seq}"}}
                first = graph.invoke({"n": n}, config)
                if "__interrupt__" not in first:
                    raise RuntimeError(f"run {n} did not suspend: {first!r}")
                done = graph.invoke(Command(resume="approved"), config)
                if done.get("answer") != "approved" or "__interrupt__" in done:
                    raise RuntimeError(f"run {n} did not complete: {done!r}")

        try:
            result = closed_loop(op, args.concurrency, args.seconds, args.warmup)
        finally:
            saver_conn.close()

    if args.workload == "three_step_flow":
        what = "invoke per run; nodes set_var, memory_put (SqliteStore.put, same file), emit (event appended to state)"
    else:
        what = "invoke -> __interrupt__ (suspended) -> invoke(Command(resume)) -> END"
    notes = (
        f"{what}; durability=async (default); journal={journal}; "
        f"limits: one SqliteSaver connection behind a lock, one store connection, GIL across {args.concurrency} worker thread(s)"
    )
    if store_sync != sync:
        notes += f"; store connection synchronous={store_sync}"
    return result_line(PEER, args.workload, args.concurrency, result, sync, notes)


def main() -> int:
    parser = _common.peer_arg_parser("LangGraph peer for scaicore-appliance bench runtime")
    return _common.run_main(run, parser)


if __name__ == "__main__":
    sys.exit(main())
