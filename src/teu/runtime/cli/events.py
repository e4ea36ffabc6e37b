"""usage: teu-runtime events [--stats] [--interval DURATION] ID

Print a container's events as JSON lines, as runc does: with --stats one
{"type": "stats", "id": ID, "data": {...}} of its resource usage and exit;
without, a stats event every --interval (default 5s) and an {"type": "oom"}
event when the kernel's OOM killer strikes in it, until the container stops.
"""

from __future__ import annotations

from teu import fastjson
from teu.runtime.cli.main import Globals, UsageError, need_id

FLAGS = {"stats": (False, False), "interval": (True, False)}

_DURATION_UNITS = (("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1.0),
                   ("m", 60.0), ("h", 3600.0))


def parse_duration(text: str) -> float:
    """Seconds from a Go duration such as 5s, 250ms, 1m30s."""
    rest, total = text.strip(), 0.0
    if not rest:
        raise UsageError("--interval: empty duration")
    while rest:
        i = 0
        while i < len(rest) and (rest[i].isdigit() or rest[i] == "."):
            i += 1
        number, rest = rest[:i], rest[i:]
        unit = next((u for u in _DURATION_UNITS if rest.startswith(u[0])), None)
        if not number or unit is None:
            raise UsageError(f"--interval {text!r}: not a duration (like 5s or 500ms)")
        try:
            total += float(number) * unit[1]
        except ValueError:
            raise UsageError(f"--interval {text!r}: not a duration") from None
        rest = rest[len(unit[0]):]
    if total <= 0:
        raise UsageError(f"--interval {text!r}: must be positive")
    return total


def stats_event(cid: str, cg) -> dict:  # noqa: ANN001
    data = cg.stats()
    data.setdefault("intel_rdt", {})
    data.setdefault("network_interfaces", None)
    return {"type": "stats", "id": cid, "data": data}


def oom_kills(cg) -> int:  # noqa: ANN001
    """The memory cgroup's count of OOM kills (v1 memory.oom_control, v2 memory.events)."""
    import os

    dirs = cg.all_dirs
    candidates = []
    if "memory" in dirs:
        candidates.append(os.path.join(dirs["memory"], "memory.oom_control"))
    if "unified" in dirs:
        candidates.append(os.path.join(dirs["unified"], "memory.events"))
    for path in candidates:
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return 0


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    import sys
    import time

    from teu.runtime.lifecycle import cgroup_of, load, status
    from teu.runtime.state import StateError

    cid = need_id(positional, "events")
    interval = parse_duration(flags.get("interval", "5s"))
    state = load(g.root, cid)
    if status(state) == "stopped":
        raise StateError(f"container {cid!r} is not running")
    cg = cgroup_of(state)
    if cg is None or not cg.exists():
        raise StateError(f"container {cid!r} has no cgroup")
    if flags.get("stats"):
        print(fastjson.dumps(stats_event(cid, cg)))
        return 0
    kills = oom_kills(cg)
    next_stats = time.monotonic()
    while status(state) != "stopped" and cg.exists():
        now = time.monotonic()
        seen = oom_kills(cg)
        if seen > kills:
            print(fastjson.dumps({"type": "oom", "id": cid}))
            kills = seen
        if now >= next_stats:
            print(fastjson.dumps(stats_event(cid, cg)))
            next_stats = now + interval
        sys.stdout.flush()
        time.sleep(min(0.2, interval))
    return 0
