"""What a benchmark reads of its processes from /proc (Linux)."""

import os
from pathlib import Path


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user and system) of a process, and of its children that have ended."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def scheduled(pid: int) -> tuple[float, float]:
    """Seconds a process has run on a core, and waited for one while it could run (the
    scheduler's statistics, /proc/<pid>/schedstat): a process that neither runs nor
    waits for a core is idle, waiting for something else."""
    running, waiting = Path(f"/proc/{pid}/schedstat").read_text().split()[:2]
    return int(running) / 1e9, int(waiting) / 1e9


def machine_cpu() -> float:
    """CPU seconds every core has spent busy (not idle, not waiting for I/O; time taken
    by the hypervisor, steal, counts as busy)."""
    values = _cores()
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def stolen_cpu() -> float:
    """CPU seconds, every core, that the hypervisor gave to other machines while this one
    had work to run (steal): on a shared host, the reason the same run goes slower."""
    return _cores()[7] / os.sysconf("SC_CLK_TCK")


def _cores() -> list[int]:
    """The times of /proc/stat's "cpu" line: user, nice, system, idle, iowait, irq,
    softirq, steal, ..."""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
