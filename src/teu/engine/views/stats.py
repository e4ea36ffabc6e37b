"""`stats`: CPU, memory, network, block I/O and pids of running containers, from their
cgroups (v1, v2 or hybrid) and /proc, as docker computes them."""

from __future__ import annotations

import os
import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _kv(text: str | None) -> dict[str, int]:
    out = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def host_memory() -> int:
    for line in (_read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def system_cpu_ns() -> int:
    line = (_read("/proc/stat") or "cpu 0").splitlines()[0].split()
    ticks = sum(int(x) for x in line[1:8])
    return ticks * (1_000_000_000 // os.sysconf("SC_CLK_TCK"))


def sample(engine: Engine, row: Row) -> dict:
    from teu.engine.runtimes import for_row

    dirs = for_row(engine.paths, row.settings).cgroup_dirs(row["id"]) or \
        cgroup_dirs_of(row["pid"])
    if isinstance(dirs, list):
        dirs = {"unified": dirs[0]} if dirs else {}
    v2 = dirs.get("unified") if "memory" not in dirs else None
    cpu = mem = limit = pids = 0
    blk_r = blk_w = 0
    if v2 is not None and "cpu" not in dirs:
        cpu = _kv(_read(os.path.join(v2, "cpu.stat"))).get("usage_usec", 0) * 1000
        mem = int((_read(os.path.join(v2, "memory.current")) or "0").strip() or 0)
        mem -= _kv(_read(os.path.join(v2, "memory.stat"))).get("inactive_file", 0)
        raw = (_read(os.path.join(v2, "memory.max")) or "max").strip()
        limit = 0 if raw == "max" else int(raw)
        pids = int((_read(os.path.join(v2, "pids.current")) or "0").strip() or 0)
        for line in (_read(os.path.join(v2, "io.stat")) or "").splitlines():
            fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
            blk_r += int(fields.get("rbytes", 0))
            blk_w += int(fields.get("wbytes", 0))
    else:
        acct = dirs.get("cpuacct") or dirs.get("cpu")
        if acct:
            cpu = int((_read(os.path.join(acct, "cpuacct.usage")) or "0").strip() or 0)
        if dirs.get("memory"):
            mem = int((_read(os.path.join(dirs["memory"], "memory.usage_in_bytes")) or "0")
                      .strip() or 0)
            mem -= _kv(_read(os.path.join(dirs["memory"], "memory.stat"))).get(
                "total_inactive_file", 0)
            limit = int((_read(os.path.join(dirs["memory"], "memory.limit_in_bytes")) or "0")
                        .strip() or 0)
        if dirs.get("pids"):
            pids = int((_read(os.path.join(dirs["pids"], "pids.current")) or "0").strip() or 0)
        if dirs.get("blkio"):
            text = _read(os.path.join(dirs["blkio"], "blkio.throttle.io_service_bytes"))
            for line in (text or "").splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] == "Read":
                    blk_r += int(parts[2])
                elif len(parts) == 3 and parts[1] == "Write":
                    blk_w += int(parts[2])
    total = host_memory()
    if not limit or limit > total:
        limit = total
    rx = tx = 0
    for line in (_read(f"/proc/{row['pid']}/net/dev") or "").splitlines()[2:]:
        name, _, rest = line.partition(":")
        if name.strip() == "lo":
            continue
        f = rest.split()
        if len(f) >= 9:
            rx += int(f[0])
            tx += int(f[8])
    return {"cpu": cpu, "system": system_cpu_ns(), "mem": max(mem, 0), "limit": limit,
            "pids": pids, "blk_r": blk_r, "blk_w": blk_w, "rx": rx, "tx": tx,
            "time": time.monotonic()}


def cgroup_dirs_of(pid: int) -> dict[str, str]:
    """A process's cgroup directories from /proc/PID/cgroup (any runtime, v1 or v2)."""
    top = "/sys/fs/cgroup"
    out: dict[str, str] = {}
    unified = top if os.path.exists(f"{top}/cgroup.controllers") else f"{top}/unified"
    for line in (_read(f"/proc/{pid}/cgroup") or "").splitlines():
        _, controllers, path = line.split(":", 2)
        if not controllers:
            out["unified"] = unified + path
            continue
        for c in controllers.split(","):
            c = c.removeprefix("name=")
            if os.path.isdir(f"{top}/{c}"):
                out[c] = f"{top}/{c}{path}"
    return out


def rows_for(engine: Engine, refs: list[str], all_: bool) -> list[Row]:
    if refs:
        return [r for r in (S.refresh(engine, engine.find(x)) for x in refs) if r is not None]
    rows = S.refresh_all(engine)
    return [r for r in rows if all_ or r["status"] in S.RUNNING]


def entry(row: Row, before: dict | None, now: dict | None) -> dict:
    """docker stats' columns (as --format fields) from two samples."""
    from teu.engine.config.units import size_text

    if now is None:
        return {"Container": row["id"][:12], "ID": row["id"], "Name": row["name"],
                "CPUPerc": "0.00%", "MemUsage": "0B / 0B", "MemPerc": "0.00%",
                "NetIO": "0B / 0B", "BlockIO": "0B / 0B", "PIDs": "0"}
    cpu_pct = 0.0
    if before is not None:
        cpu_d = now["cpu"] - before["cpu"]
        sys_d = now["system"] - before["system"]
        if cpu_d > 0 and sys_d > 0:
            cpu_pct = cpu_d / sys_d * (os.cpu_count() or 1) * 100
    mem_pct = now["mem"] / now["limit"] * 100 if now["limit"] else 0.0
    return {"Container": row["id"][:12], "ID": row["id"], "Name": row["name"],
            "CPUPerc": f"{cpu_pct:.2f}%",
            "MemUsage": f"{bytes_text(now['mem'])} / {bytes_text(now['limit'])}",
            "MemPerc": f"{mem_pct:.2f}%",
            "NetIO": f"{size_text(now['rx'])} / {size_text(now['tx'])}",
            "BlockIO": f"{size_text(now['blk_r'])} / {size_text(now['blk_w'])}",
            "PIDs": str(now["pids"])}


def bytes_text(n: float) -> str:
    """docker's units.BytesSize: binary units (KiB, MiB, GiB), 4 significant digits."""
    units_ = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    i = 0
    n = float(n)
    while n >= 1024 and i < len(units_) - 1:
        n /= 1024
        i += 1
    return f"{n:.4g}{units_[i]}"


def collect(engine: Engine, rows: list[Row], interval: float = 0.5,
            previous: dict | None = None) -> tuple[list[dict], dict]:
    """Entries for the rows (CPU over `interval`, or since `previous` samples)."""
    first = previous
    if first is None:
        first = {r["id"]: _safe_sample(engine, r) for r in rows}
        time.sleep(interval)
    second = {r["id"]: _safe_sample(engine, r) for r in rows}
    return [entry(r, first.get(r["id"]), second.get(r["id"])) for r in rows], second


def _safe_sample(engine: Engine, row: Row) -> dict | None:
    if row["status"] not in S.RUNNING:
        return None
    try:
        return sample(engine, row)
    except (OSError, ValueError):
        return None


def api_entry(row: Row, before: dict | None, now: dict | None) -> dict:
    """The Engine API's stats object (GET /containers/ID/stats: what docker-py's
    container.stats() returns) from two samples; the same numbers as `entry`."""
    import datetime

    def cpu_stats(s: dict | None) -> dict:
        if s is None:
            return {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 0,
                    "online_cpus": os.cpu_count() or 1, "throttling_data": {}}
        return {"cpu_usage": {"total_usage": s["cpu"]}, "system_cpu_usage": s["system"],
                "online_cpus": os.cpu_count() or 1, "throttling_data": {}}

    stamp = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
    now_ = now or {}
    blkio = [{"major": 0, "minor": 0, "op": "read", "value": now_.get("blk_r", 0)},
             {"major": 0, "minor": 0, "op": "write", "value": now_.get("blk_w", 0)}]
    return {"read": stamp, "name": "/" + row["name"], "id": row["id"],
            "pids_stats": {"current": now_.get("pids", 0)},
            "cpu_stats": cpu_stats(now), "precpu_stats": cpu_stats(before),
            "memory_stats": {"usage": now_.get("mem", 0), "limit": now_.get("limit", 0)},
            "blkio_stats": {"io_service_bytes_recursive": blkio},
            "networks": {"eth0": {"rx_bytes": now_.get("rx", 0), "tx_bytes": now_.get("tx", 0)}}}
