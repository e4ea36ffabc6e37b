"""density: start time and memory per container as 1, 10, 50, 100 idle containers run
at once, grown in steps (the containers of a step stay while the next ones start),
within what the machine can hold, all removed afterwards."""

from __future__ import annotations

import os
import time

from teu.bench import machine, procs
from teu.bench.engines import Engine
from teu.bench.memory import account, start_idle
from teu.bench.progress import Progress

BUDGET_MIB = 16  # a generous guess of one idle container with its monitor


def limit() -> tuple[int, str]:
    """How many idle containers this machine can hold with room to spare, and what
    limits it: half the available memory, a tenth of the pids, the open files."""
    import resource

    avail = machine.mem_available_mib()
    by_mem = avail // 2 // BUDGET_MIB
    with open("/proc/sys/kernel/pid_max") as f:
        by_pids = int(f.read()) // 10
    by_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 4
    return min((by_mem, f"memory ({avail} MiB available)"), (by_pids, "pid_max"),
               (by_files, "open files"))


def grow(e: Engine, steps: list[int], bar: Progress) -> list[dict]:
    rows = []
    running = 0
    try:
        for n in steps:
            took = start_idle(e, n - running, f"teubench-d{running}-") if n > running else []
            for i in range(n - running):
                bar.step(f"density {e.name}: {running + i + 1}/{steps[-1]}")
            running = n
            a = account(e)
            rows.append({"count": n, "start_ms": procs.summary(took) if took else None,
                         "engine_mib_per_container": procs.mib(a["engine_kib"] / n),
                         "container_mib_per_container": procs.mib(a["container_kib"] / n),
                         "daemons_mib": procs.mib(a["daemon_kib"]),
                         "total_mib_per_container": procs.mib(
                             (a["engine_kib"] + a["daemon_kib"] + a["container_kib"]) / n),
                         "load_average": round(os.getloadavg()[0], 2)})
    finally:
        t0 = time.perf_counter()
        e.remove_all()
        if rows:
            rows[-1]["remove_all_s"] = round(time.perf_counter() - t0, 2)
    return rows
