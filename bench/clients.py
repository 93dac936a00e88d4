"""Concurrent clients and what a bench makes of their runs: requests on keep-alive connections, calls timed
from N threads with the CPU each process used meanwhile, and the medians and percentiles reported."""

from __future__ import annotations

import http.client
import math
import os
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from machine import percentile


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any = None,
    status: int | None = None,
) -> bytes:
    """One request on a keep-alive connection; any other answer than ``status`` (than a 2xx without one)
    stops the benchmark."""
    conn.request(method, path, body, headers)
    response = conn.getresponse()
    answer = response.read()
    expected = response.status == status if status else 200 <= response.status < 300
    if not expected:
        raise RuntimeError(f"{method} {path} answered {response.status}, not {status or '2xx'}: {answer[:500]!r}")
    return answer


def run_clients(
    clients: int,
    setup: Callable[[int], Any],
    work: Callable[[Any], None],
    meters: dict[str, Callable[[], float]],
    *,
    seconds: float = math.inf,
    calls: float = math.inf,
) -> dict[str, Any]:
    """``clients`` threads, each with its ``setup(n)`` state, calling ``work(state)`` until ``seconds`` have
    passed from when all were ready, or until they have made ``calls`` between them; the rate counts until
    the last call returns, and so do the ``meters`` (CPU seconds used so far by whoever they watch), reported
    as what each used meanwhile."""
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    window = {"until": math.inf}  # set once every client is ready
    left = {"calls": calls}
    finished: list[float] = []

    def another() -> bool:
        """Whether this client makes another call: the window is open and calls are left."""
        if time.perf_counter() >= window["until"]:
            return False
        if calls == math.inf:
            return True
        with lock:
            left["calls"] -= 1
            return left["calls"] >= 0

    def client(n: int) -> None:
        state = setup(n)
        mine = []
        ready.wait()
        try:
            while another():
                started = time.perf_counter()
                work(state)
                mine.append(time.perf_counter() - started)
        except BaseException as exc:
            failures.append(exc)
        with lock:
            latencies.extend(mine)
            finished.append(time.perf_counter())

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started, cpu_before = time.perf_counter(), {name: meter() for name, meter in meters.items()}
    window["until"] = started + seconds
    for thread in threads:
        thread.join()
    cpu = {name: meter() - cpu_before[name] for name, meter in meters.items()}
    if failures:
        raise failures[0]
    elapsed = max(finished) - started
    return {
        "rate": len(latencies) / elapsed,
        "latencies": latencies,
        "elapsed": elapsed,
        "calls": len(latencies),
        "cpu": cpu,
    }


def others(runs: Sequence[dict[str, Any]]) -> float:
    """The largest share of the machine that processes not taking part used during one of ``runs``: what
    the ``machine`` meter (busy_cpu) counted beyond the ``ours`` one."""
    most = max((r["cpu"]["machine"] - r["cpu"]["ours"]) / (r["elapsed"] * (os.cpu_count() or 1)) for r in runs)
    return max(0.0, most)


def summary(runs: Sequence[dict[str, Any]], processes: Sequence[str]) -> dict[str, Any]:
    """The median rate of ``runs`` and the median CPU ms per call of each of ``processes`` (meters);
    latency percentiles over all their calls, in ms."""
    latencies = [x for r in runs for x in r["latencies"]]
    return {
        "rate": statistics.median(r["rate"] for r in runs),
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "cpu": {m: statistics.median(r["cpu"][m] / r["calls"] for r in runs) * 1000 for m in processes},
    }
