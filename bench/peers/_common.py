"""Shared pieces of the peer benchmarks: the closed-loop driver, statistics and the output line.

Each peer module (dbos_peer.py, langgraph_peer.py) runs ONE measurement per process and prints
ONE JSON line on stdout; run_peers.py starts one process per measurement so that every
measurement gets fresh SQLite files and a fresh framework instance.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import time
from typing import Callable, Dict, List, Optional

WORKLOADS = ("three_step_flow", "checkpoint_round_trip")

SYNCHRONOUS_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def synchronous_name(value: object) -> str:
    try:
        return SYNCHRONOUS_NAMES.get(int(value), str(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def remove_sqlite_files(path: str) -> None:
    """Removes a SQLite database and its side files so that a measurement starts fresh."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def percentile(sorted_values: List[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class Result:
    def __init__(self, operations: int, seconds: float, latencies_s: List[float]):
        self.operations = operations
        self.seconds = seconds
        self.latencies_s = latencies_s


def closed_loop(
    op: Callable[[int, int], None],
    concurrency: int,
    seconds: float,
    warmup: float,
) -> Result:
    """Runs `op(worker, seq)` in `concurrency` threads, each starting its next operation as soon
    as the previous one returns, for `warmup` seconds (discarded) then `seconds` seconds.

    Counted: operations STARTED inside the measured window; each is awaited to its end, and the
    window is closed when the last worker has finished, so `seconds` includes that tail. An
    exception in any operation stops every worker and is re-raised.
    """
    lock = threading.Lock()
    latencies: List[float] = []
    errors: List[BaseException] = []
    stop = threading.Event()
    start = time.perf_counter()
    measure_start = start + warmup
    deadline = measure_start + seconds

    def worker(index: int) -> None:
        seq = 0
        local: List[float] = []
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                if t0 >= deadline:
                    break
                op(index, seq)
                seq += 1
                if t0 >= measure_start:
                    local.append(time.perf_counter() - t0)
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            with lock:
                errors.append(e)
            stop.set()
        finally:
            with lock:
                latencies.extend(local)

    threads = [
        threading.Thread(target=worker, args=(i,), name=f"peer-worker-{i}", daemon=True)
        for i in range(concurrency)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = time.perf_counter()
    if errors:
        raise errors[0]
    elapsed = end - measure_start
    return Result(len(latencies), elapsed, latencies)


def result_line(
    peer: str,
    workload: str,
    concurrency: int,
    result: Result,
    sqlite_synchronous: str,
    notes: str,
) -> Dict[str, object]:
    lat = sorted(result.latencies_s)
    seconds = result.seconds
    return {
        "peer": peer,
        "workload": workload,
        "concurrency": concurrency,
        "operations": result.operations,
        "seconds": round(seconds, 3),
        "per_second": round(result.operations / seconds, 2) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(lat, 50) * 1000.0, 3) if lat else 0.0,
        "p99_ms": round(percentile(lat, 99) * 1000.0, 3) if lat else 0.0,
        "sqlite_synchronous": sqlite_synchronous,
        "notes": notes,
    }


def emit(line: Dict[str, object], out) -> None:
    out.write(json.dumps(line, separators=(", ", ": ")) + "\n")
    out.flush()


def peer_arg_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--workload", required=True, choices=WORKLOADS)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--workdir", required=True)
    return p


def run_main(run: Callable[[argparse.Namespace], Dict[str, object]], parser: argparse.ArgumentParser,
             argv: Optional[List[str]] = None) -> int:
    """Runs one measurement with stdout redirected to stderr (framework chatter must not reach
    the JSON stream), then writes the single result line to the real stdout."""
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        log("error: --concurrency must be at least 1")
        return 2
    if args.seconds <= 0 or args.warmup < 0:
        log("error: --seconds must be > 0 and --warmup >= 0")
        return 2
    os.makedirs(args.workdir, exist_ok=True)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        line = run(args)
    except BaseException as e:  # noqa: BLE001
        sys.stdout = real_stdout
        reason = f"{type(e).__name__}: {e}".replace("\n", " ")
        log(f"error: {reason[:400]}")
        return 1
    sys.stdout = real_stdout
    emit(line, real_stdout)
    return 0
