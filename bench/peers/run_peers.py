#!/usr/bin/env python3
"""Runs the DBOS and LangGraph peers of `scaicore-appliance bench runtime`.

    python bench/peers/run_peers.py --seconds S --workdir DIR [--concurrency 1,64] [--peer dbos|langgraph|all]

For every peer x workload x concurrency it starts one process (fresh SQLite files in DIR, a fresh
framework instance), which warms up, measures for about S seconds and reports one line. Each line
is printed to stdout as one JSON object:

    {"peer", "workload", "concurrency", "operations", "seconds", "per_second", "p50_ms", "p99_ms",
     "sqlite_synchronous", "notes"}

Diagnostics go to stderr. Exit 0 on success; otherwise non-zero with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import List

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = {"dbos": "dbos_peer.py", "langgraph": "langgraph_peer.py"}
WORKLOADS = ("three_step_flow", "checkpoint_round_trip")
KEYS = ["peer", "workload", "concurrency", "operations", "seconds", "per_second", "p50_ms",
        "p99_ms", "sqlite_synchronous", "notes"]


class Failure(Exception):
    pass


class OneLineParser(argparse.ArgumentParser):
    """Reports a bad command line as one line on stderr (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {message} (see --help)\n")


def parse_concurrency(text: str) -> List[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text!r}")
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("each concurrency must be at least 1")
    return values


def poll_interval(text: str) -> str:
    if text == "default":
        return text
    try:
        if float(text) <= 0:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError("a positive number of seconds, or 'default'")
    return text


def run_one(args, peer: str, workload: str, concurrency: int) -> dict:
    cmd = [sys.executable, os.path.join(HERE, PEERS[peer]),
           "--workload", workload, "--concurrency", str(concurrency),
           "--seconds", str(args.seconds), "--warmup", str(args.warmup),
           "--workdir", args.workdir]
    if peer == "dbos" and args.dbos_poll_interval != "default":
        cmd += ["--poll-interval", args.dbos_poll_interval]
    what = f"{peer} {workload} c={concurrency}"
    print(f"run_peers: {what} ...", file=sys.stderr, flush=True)
    timeout = args.warmup + args.seconds + 180.0
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"{what}: no result within {timeout:.0f} s")
    if proc.stderr:
        sys.stderr.write(proc.stderr)
        sys.stderr.flush()
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        last = lines[-1].strip() if lines else "(no output)"
        raise Failure(f"{what} exited {proc.returncode}: {last}")
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    if len(lines) != 1:
        raise Failure(f"{what}: expected one result line on stdout, got {len(lines)}")
    try:
        obj = json.loads(lines[0])
    except json.JSONDecodeError as e:
        raise Failure(f"{what}: result is not JSON ({e})")
    if list(obj.keys()) != KEYS:
        raise Failure(f"{what}: result keys {list(obj.keys())} differ from {KEYS}")
    if obj["operations"] < 1:
        raise Failure(f"{what}: no operation completed in the measured window")
    return obj


def main() -> int:
    p = OneLineParser(description="DBOS and LangGraph peers for scaicore-appliance bench runtime")
    p.add_argument("--seconds", type=float, required=True, help="measured seconds per measurement")
    p.add_argument("--workdir", required=True, help="directory for the SQLite files (recreated per measurement)")
    p.add_argument("--concurrency", type=parse_concurrency, default=[1, 64],
                   help="comma-separated concurrent starters, default 1,64")
    p.add_argument("--peer", choices=["dbos", "langgraph", "all"], default="all")
    p.add_argument("--workload", choices=list(WORKLOADS) + ["all"], default="all")
    p.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds before each measurement (default 1)")
    p.add_argument("--dbos-poll-interval", type=poll_interval, default="0.01",
                   help="DBOS notification_listener_polling_interval_sec: how often DBOS on SQLite "
                        "looks for messages/events that recv/get_event wait on (default 0.01; "
                        "'default' keeps DBOS's own 1.0)")
    args = p.parse_args()
    if args.seconds <= 0 or args.warmup < 0:
        print("error: --seconds must be > 0 and --warmup >= 0", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.workdir, exist_ok=True)
    except OSError as e:
        print(f"error: cannot create --workdir {args.workdir}: {e}", file=sys.stderr)
        return 2

    peers = list(PEERS) if args.peer == "all" else [args.peer]
    workloads = list(WORKLOADS) if args.workload == "all" else [args.workload]
    try:
        for peer in peers:
            for workload in workloads:
                for concurrency in args.concurrency:
                    obj = run_one(args, peer, workload, concurrency)
                    sys.stdout.write(json.dumps(obj, separators=(", ", ": ")) + "\n")
                    sys.stdout.flush()
    except Failure as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
