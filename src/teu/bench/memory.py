"""memory_overhead_mb: what an engine leaves beside N idle detached containers, the
PSS of every process of the engine (monitors such as conmon or containerd-shim,
daemons, any teu) and not the containers' own, per container; daemons apart."""

from __future__ import annotations

import time

from teu.bench import procs
from teu.bench.engines import Engine


def start_idle(e: Engine, count: int, prefix: str) -> list[float]:
    """Start `count` detached `sleep` containers; the milliseconds each `run -d` took."""
    took = []
    for i in range(count):
        t0 = time.perf_counter()
        e.call(*e.run_args(), "-d", "--name", f"{prefix}{i}", e.image, "sleep", "86400")
        took.append((time.perf_counter() - t0) * 1000)
    return took


def account(e: Engine) -> dict:
    """PSS (KiB) now of the engine's per-container processes, its daemons, and the
    containers' own processes (the monitors' descendants that are not the engine's)."""
    time.sleep(1.0)  # let exit commands, shims and daemons settle
    monitors, daemons = e.processes()
    t = procs.table()
    mine = set(monitors) | set(daemons)
    inside = [p for p in procs.descendants(monitors, t) if p not in mine]
    return {"engine_kib": sum(procs.pss_kib(p) for p in monitors),
            "daemon_kib": sum(procs.pss_kib(p) for p in daemons),
            "container_kib": sum(procs.pss_kib(p) for p in inside),
            "engine_processes": sorted({procs.name(p, t) for p in monitors}),
            "engine_count": len(monitors),
            "daemons": sorted({procs.name(p, t) for p in daemons})}


def overhead(e: Engine, count: int) -> dict:
    start_idle(e, count, "teubench-mem-")
    try:
        a = account(e)
    finally:
        e.remove_all()
    return {"containers": count,
            "per_container": procs.mib(a["engine_kib"] / count),
            "processes": f"{a['engine_count']} ({', '.join(a['engine_processes'])})",
            "daemons_mib": procs.mib(a["daemon_kib"]), "daemons": a["daemons"],
            "container_own_per_container": procs.mib(a["container_kib"] / count)}
