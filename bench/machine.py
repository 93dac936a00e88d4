"""What the machine is doing while a bench runs: CPU used by processes, how idle it is, and the
percentiles the benches report. Shared by every bench."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time the processes ``pids`` have used so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds this process has used."""
    times = os.times()
    return times.user + times.system


def busy_cpu() -> float:
    """CPU seconds the whole machine has spent on anything but idling (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def idle_share(seconds: float = 1.0) -> float:
    """The share of all CPUs' time that was idle over the next ``seconds`` (Linux /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_for_quiet(threshold: float, patience: float) -> float:
    """Wait (at most ``patience`` s) until the machine is at least ``threshold`` idle; returns how idle
    it was when the wait ended. Other work on a 2-core machine moves these numbers by half."""
    deadline = time.monotonic() + patience
    while True:
        idle = idle_share()
        if idle >= threshold or time.monotonic() > deadline:
            return idle
        print(f"  waiting for a quiet machine: {idle:.0%} idle", file=sys.stderr)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]
