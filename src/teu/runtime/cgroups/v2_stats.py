"""stats() for v2: cpu.stat, memory.*, pids.*, io.stat, hugetlb.* (see stats.py for the shape)."""

from __future__ import annotations

import os

from . import fs
from .stats import UNLIMITED, blkio_entry, empty


def collect(d: str) -> dict:
    out = empty()
    _cpu(d, out["cpu"])
    _memory(d, out["memory"])
    if fs.exists(d, "pids.current"):
        out["pids"] = {"current": fs.read_int(d, "pids.current"),
                       "limit": max(fs.read_int(d, "pids.max"), 0)}
    out["blkio"] = parse_io_stat(fs.read_or(d, "io.stat"))
    out["hugetlb"] = _hugetlb(d)
    return out


def _cpu(d: str, cpu: dict) -> None:
    # cpu.stat's usage lines exist even without the cpu controller enabled.
    stat = fs.read_keyed(d, "cpu.stat")
    usage = cpu["usage"]
    usage["total"] = stat.get("usage_usec", 0) * 1000
    usage["user"] = stat.get("user_usec", 0) * 1000
    usage["kernel"] = stat.get("system_usec", 0) * 1000
    cpu["throttling"] = {"periods": stat.get("nr_periods", 0),
                         "throttledPeriods": stat.get("nr_throttled", 0),
                         "throttledTime": stat.get("throttled_usec", 0) * 1000}


def _limit(d: str, name: str) -> int:
    value = fs.read_int(d, name)
    return UNLIMITED if value < 0 else value


def _memory(d: str, memory: dict) -> None:
    if not fs.exists(d, "memory.current"):
        return
    usage = fs.read_int(d, "memory.current")
    events = fs.read_keyed(d, "memory.events")
    memory["usage"] = {"limit": _limit(d, "memory.max"), "usage": usage,
                       "max": fs.read_int(d, "memory.peak"), "failcnt": events.get("max", 0)}
    if fs.exists(d, "memory.swap.current"):
        swap_limit = _limit(d, "memory.swap.max")
        memory_limit = memory["usage"]["limit"]
        both = UNLIMITED if UNLIMITED in (swap_limit, memory_limit) else swap_limit + memory_limit
        memory["swap"] = {"limit": both, "usage": fs.read_int(d, "memory.swap.current") + usage,
                          "max": 0, "failcnt": fs.read_keyed(d, "memory.swap.events").get("max", 0)}
    raw = fs.read_keyed(d, "memory.stat")
    memory["raw"] = raw
    memory["cache"] = raw.get("file", 0)


def parse_io_stat(text: str) -> dict:
    """io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...") in blkio's v1 shape."""
    service_bytes, serviced = [], []
    for line in text.splitlines():
        fields = line.split()
        if not fields or ":" not in fields[0]:
            continue
        major, _, minor = fields[0].partition(":")
        values = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        for key, op, target in (("rbytes", "Read", service_bytes), ("wbytes", "Write", service_bytes),
                                ("rios", "Read", serviced), ("wios", "Write", serviced)):
            if key in values:
                target.append(blkio_entry(int(major), int(minor), op, int(values[key])))
    return {"ioServiceBytesRecursive": service_bytes, "ioServicedRecursive": serviced}


def _hugetlb(d: str) -> dict:
    out = {}
    try:
        names = sorted(os.listdir(d))
    except FileNotFoundError:
        return out
    for name in names:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "hugetlb" and parts[2] == "max":
            size = parts[1]
            out[size] = {"usage": fs.read_int(d, f"hugetlb.{size}.current"),
                         "max": 0,
                         "failcnt": fs.read_keyed(d, f"hugetlb.{size}.events").get("max", 0)}
    return out
