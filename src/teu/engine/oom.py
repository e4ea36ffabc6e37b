"""Was a container OOM-killed? The kernel's count in its memory cgroup says so:
`oom_kill N` in memory.oom_control (v1) or memory.events (v2). Read just before
the cgroup is removed, by whoever records the exit (the foreground monitor, or
teu.engine.state.finish for a detached one: conmon's own `oom` file is only
written when its eventfd fires before the container's exit is handled, which
under load it often is not).
"""

from __future__ import annotations

import os

CGROUP_TOP = "/sys/fs/cgroup"


def memory_cgroups(runtime, cid: str, bundle: str) -> list[str]:  # noqa: ANN001
    """Where the container's memory cgroup may be: as teu-runtime recorded it, else
    derived from the spec's linux.cgroupsPath (what runc and crun do with it)."""
    dirs = runtime.cgroup_dirs(cid) if runtime.in_process else None
    if isinstance(dirs, dict):
        return [dirs["memory"]] if dirs.get("memory") else list(dirs.values())
    if dirs:
        return list(dirs)
    from teu import fastjson

    try:
        with open(os.path.join(bundle, "config.json"), "rb") as f:
            path = (fastjson.loads(f.read()).get("linux") or {}).get("cgroupsPath") or ""
    except (OSError, ValueError):
        return []
    if not path.startswith("/"):
        return []  # a systemd slice:scope:name path; not made by teu
    return [CGROUP_TOP + "/memory" + path, CGROUP_TOP + path, CGROUP_TOP + "/unified" + path]


def oom_kills(dirs: list[str]) -> int:
    for d in dirs:
        for name in ("memory.oom_control", "memory.events"):
            try:
                with open(os.path.join(d, name)) as f:
                    for line in f:
                        key, _, value = line.partition(" ")
                        if key == "oom_kill":
                            return int(value)
            except (OSError, ValueError):
                continue
    return 0


def oom_killed(runtime, cid: str, bundle: str) -> bool:  # noqa: ANN001
    return os.path.exists(os.path.join(bundle, "oom")) or \
        oom_kills(memory_cgroups(runtime, cid, bundle)) > 0
