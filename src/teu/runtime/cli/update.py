"""usage: teu-runtime update [--resources FILE|-] [--memory BYTES] [--memory-reservation BYTES]
                          [--memory-swap BYTES] [--kernel-memory BYTES]
                          [--kernel-memory-tcp BYTES] [--cpu-shares N] [--cpu-quota N]
                          [--cpu-period N] [--cpu-rt-runtime N] [--cpu-rt-period N]
                          [--cpu-idle N] [--cpuset-cpus LIST] [--cpuset-mems LIST]
                          [--blkio-weight N] [--pids-limit N] ID

Change the resource limits of a running, created or paused container.
--resources (-r) reads linux.resources JSON from FILE or, with '-', stdin; the
flags then change single values (sizes take k, m, g suffixes as runc's do).
Device rules are not changed by update, as with runc.
"""

from __future__ import annotations

import json

from teu.errors import TeuError
from teu.runtime.cli.main import Globals, UsageError, need_id

# flag -> (section, key, parse as a size)
VALUE_FLAGS = {
    "memory": ("memory", "limit", True),
    "memory-reservation": ("memory", "reservation", True),
    "memory-swap": ("memory", "swap", True),
    "kernel-memory": ("memory", "kernel", True),
    "kernel-memory-tcp": ("memory", "kernelTCP", True),
    "cpu-share": ("cpu", "shares", False),
    "cpu-shares": ("cpu", "shares", False),
    "cpu-quota": ("cpu", "quota", False),
    "cpu-period": ("cpu", "period", False),
    "cpu-rt-runtime": ("cpu", "realtimeRuntime", False),
    "cpu-rt-period": ("cpu", "realtimePeriod", False),
    "cpu-idle": ("cpu", "idle", False),
    "cpuset-cpus": ("cpu", "cpus", None),
    "cpuset-mems": ("cpu", "mems", None),
    "blkio-weight": ("blockIO", "weight", False),
    "pids-limit": ("pids", "limit", False),
}
FLAGS = {"resources": (True, False), "l3-cache-schema": (True, False),
         "mem-bw-schema": (True, False), **{name: (True, False) for name in VALUE_FLAGS}}
ALIASES = {"r": "resources"}

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def parse_size(text: str, flag: str) -> int:
    """A size as runc reads it (go-units RAMInBytes): 1024, 512k, 64m, 1.5g, 2GiB; -1."""
    s = text.strip().lower()
    if s == "-1":
        return -1
    s = s[:-1] if s.endswith("b") else s
    s = s[:-1] if s.endswith("i") else s
    unit = s[-1:] if s[-1:].isalpha() else ""
    number = s[:-1] if unit else s
    try:
        value = float(number.strip())
        multiplier = _UNITS[unit]
    except (ValueError, KeyError):
        raise UsageError(f"--{flag} {text!r}: not a size (use bytes or k, m, g)") from None
    if value < 0:
        raise UsageError(f"--{flag} {text!r}: must not be negative")
    return int(value * multiplier)


def read_resources(source: str) -> dict:
    import sys

    try:
        if source == "-":
            data = json.load(sys.stdin)
        else:
            with open(source) as f:
                data = json.load(f)
    except OSError as e:
        raise TeuError(f"--resources {source}: {e.strerror}") from None
    except ValueError as e:
        raise TeuError(f"--resources {source}: not valid JSON: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TeuError(f"--resources {source}: must be a JSON object (linux.resources)")
    return data


def resources_from(flags: dict) -> dict:
    resources = read_resources(flags["resources"]) if flags.get("resources") else {}
    # runc's update never changes device rules; a caller passing the container's
    # whole resources (podman does) must not lose the runtime's default devices.
    resources.pop("devices", None)
    for name, (section, key, size) in VALUE_FLAGS.items():
        if name not in flags:
            continue
        raw = flags[name]
        if size is None:
            value: int | str = raw
        elif size:
            value = parse_size(raw, name)
        else:
            try:
                value = int(raw)
            except ValueError:
                raise UsageError(f"--{name} {raw!r}: not a number") from None
        part = resources.get(section)
        if not isinstance(part, dict):
            part = resources[section] = {}
        part[key] = value
    for name in ("l3-cache-schema", "mem-bw-schema"):
        if flags.get(name):
            raise UsageError(f"--{name}: Intel RDT is not supported by teu-runtime")
    return resources


def merge(old: dict, new: dict) -> dict:
    """old resources with new's values laid over them (sections merged key by key)."""
    out = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    import os

    from teu import fastjson
    from teu.runtime.lifecycle import cgroup_of, load, saved_config, status
    from teu.runtime.state import StateError

    cid = need_id(positional, "update")
    if len(positional) > 1:
        raise UsageError(f"update: unexpected arguments after the id: {' '.join(positional[1:])}")
    resources = resources_from(flags)
    state = load(g.root, cid)
    st = status(state)
    if st not in ("created", "running", "paused"):
        raise StateError(f"cannot update container {cid!r}: it is {st}")
    cg = cgroup_of(state)
    if cg is None or not cg.exists():
        raise StateError(f"container {cid!r} has no cgroup to update")
    cg.set(resources)
    # Keep the saved config in step, as runc does, so later readers see the new limits.
    config = saved_config(state)
    if config:
        linux = config.setdefault("linux", {})
        linux["resources"] = merge(linux.get("resources") or {}, resources)
        tmp = os.path.join(state.dir, "config.json.tmp")
        with open(tmp, "w") as f:
            f.write(fastjson.dumps(config))
        os.replace(tmp, os.path.join(state.dir, "config.json"))
    return 0
