"""stats() for v1: read each controller's accounting files (see stats.py for the shape)."""

from __future__ import annotations

import os

from . import fs
from .stats import blkio_entry, empty

TYPE_CHECKING = False  # not typing's: see __init__.py
if TYPE_CHECKING:
    from .v1 import V1Manager


def collect(m: V1Manager) -> dict:
    out = empty()
    if "cpuacct" in m.dirs:
        _cpuacct(m.dirs["cpuacct"], out["cpu"]["usage"])
    if "cpu" in m.dirs:
        _throttling(m.dirs["cpu"], out["cpu"]["throttling"])
    if "memory" in m.dirs:
        _memory(m.dirs["memory"], out["memory"])
    if "pids" in m.dirs:
        d = m.dirs["pids"]
        out["pids"] = {"current": fs.read_int(d, "pids.current"),
                       "limit": max(fs.read_int(d, "pids.max"), 0)}
    if "blkio" in m.dirs:
        out["blkio"] = _blkio(m.dirs["blkio"])
    if "hugetlb" in m.dirs:
        out["hugetlb"] = _hugetlb(m.dirs["hugetlb"])
    elif m.unified is not None:
        out["hugetlb"] = m.unified.stats()["hugetlb"]
    return out


def _cpuacct(d: str, usage: dict) -> None:
    usage["total"] = fs.read_int(d, "cpuacct.usage")
    usage["percpu"] = [int(v) for v in fs.read_or(d, "cpuacct.usage_percpu").split()]
    if fs.exists(d, "cpuacct.usage_user"):
        usage["user"] = fs.read_int(d, "cpuacct.usage_user")
        usage["kernel"] = fs.read_int(d, "cpuacct.usage_sys")
    else:
        # Older kernels: cpuacct.stat in clock ticks.
        ticks = fs.read_keyed(d, "cpuacct.stat")
        ns_per_tick = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
        usage["user"] = ticks.get("user", 0) * ns_per_tick
        usage["kernel"] = ticks.get("system", 0) * ns_per_tick
    # cpuacct.usage_all: a header line, then "cpu user system" per cpu.
    for line in fs.read_or(d, "cpuacct.usage_all").splitlines()[1:]:
        fields = line.split()
        if len(fields) == 3 and fields[0].isdigit():
            usage["percpu_user"].append(int(fields[1]))
            usage["percpu_kernel"].append(int(fields[2]))


def _throttling(d: str, throttling: dict) -> None:
    stat = fs.read_keyed(d, "cpu.stat")
    throttling["periods"] = stat.get("nr_periods", 0)
    throttling["throttledPeriods"] = stat.get("nr_throttled", 0)
    throttling["throttledTime"] = stat.get("throttled_time", 0)


def _memory(d: str, memory: dict) -> None:
    for key, prefix in (("usage", "memory."), ("swap", "memory.memsw."),
                        ("kernel", "memory.kmem."), ("kernelTCP", "memory.kmem.tcp.")):
        memory[key] = {
            "limit": fs.read_int(d, prefix + "limit_in_bytes"),
            "usage": fs.read_int(d, prefix + "usage_in_bytes"),
            "max": fs.read_int(d, prefix + "max_usage_in_bytes"),
            "failcnt": fs.read_int(d, prefix + "failcnt"),
        }
    raw = fs.read_keyed(d, "memory.stat")
    memory["raw"] = raw
    # total_* counts the cgroups below too, which a container's own nesting needs.
    memory["cache"] = raw.get("total_cache", raw.get("cache", 0))


# Where I/O is counted, best first: CFQ (old kernels), BFQ, then blk-throttle,
# which sees every bio. The first with per-device lines wins.
_BLKIO_SOURCES = (
    ("blkio.io_service_bytes_recursive", "blkio.io_serviced_recursive"),
    ("blkio.bfq.io_service_bytes_recursive", "blkio.bfq.io_serviced_recursive"),
    ("blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive"),
    ("blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced"),
)


def _blkio(d: str) -> dict:
    for bytes_file, ops_file in _BLKIO_SOURCES:
        service_bytes = parse_blkio(fs.read_or(d, bytes_file))
        if service_bytes:
            return {"ioServiceBytesRecursive": service_bytes,
                    "ioServicedRecursive": parse_blkio(fs.read_or(d, ops_file))}
    return {"ioServiceBytesRecursive": [], "ioServicedRecursive": []}


def parse_blkio(text: str) -> list[dict]:
    """Lines "8:0 Read 4096" (and a "Total N" line, dropped) as entries."""
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 3 or ":" not in fields[0]:
            continue
        major, _, minor = fields[0].partition(":")
        out.append(blkio_entry(int(major), int(minor), fields[1], int(fields[2])))
    return out


def _hugetlb(d: str) -> dict:
    out = {}
    for name in sorted(os.listdir(d)):
        if name.startswith("hugetlb.") and name.endswith(".limit_in_bytes"):
            size = name.split(".")[1]
            out[size] = {"usage": fs.read_int(d, f"hugetlb.{size}.usage_in_bytes"),
                         "max": fs.read_int(d, f"hugetlb.{size}.max_usage_in_bytes"),
                         "failcnt": fs.read_int(d, f"hugetlb.{size}.failcnt")}
    return out
