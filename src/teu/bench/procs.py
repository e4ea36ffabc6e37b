"""Processes and their memory as the kernel counts it, and the summary statistics
every row uses.

PSS (proportional set size, /proc/PID/smaps_rollup) shares each page between the
processes that map it, so N monitors that map the same binary cost what they add."""

from __future__ import annotations

import os


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def table() -> dict[int, tuple[int, list[str]]]:
    """pid -> (parent pid, argv) of every process now."""
    found: dict[int, tuple[int, list[str]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        found[int(entry)] = (ppid, argv)
    return found


def mentioning(text: str, procs: dict[int, tuple[int, list[str]]] | None = None
               ) -> list[int]:
    """Processes whose command line names `text` (an engine's private directory)."""
    me = os.getpid()
    procs = table() if procs is None else procs
    return [p for p, (_, argv) in procs.items() if p != me and any(text in a for a in argv)]


def descendants(roots: list[int], procs: dict[int, tuple[int, list[str]]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], list(roots)
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def name(pid: int, procs: dict[int, tuple[int, list[str]]]) -> str:
    argv = procs.get(pid, (0, []))[1]
    return os.path.basename(argv[0]) if argv else "?"


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(samples_ms: list[float]) -> dict:
    """p50/p95/max (and the samples) of a list of milliseconds."""
    return {"p50": round(percentile(samples_ms, 0.5), 2),
            "p95": round(percentile(samples_ms, 0.95), 2),
            "max": round(max(samples_ms), 2), "min": round(min(samples_ms), 2),
            "n": len(samples_ms), "samples": [round(x, 2) for x in samples_ms]}


def mib(kib: float) -> float:
    return round(kib / 1024, 3)
