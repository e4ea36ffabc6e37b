"""`exec --cgroup [CONTROLLERS:]PATH`: put an exec'd process in a sub-cgroup of its container.

Only below the container's own cgroup (runc's rule): `..` would let a process
escape the limits the container was given. Without a controller prefix the path
applies to every hierarchy; `cpu,cpuacct:sub` names several at once.
"""

from __future__ import annotations

import os

from .fs import CgroupError


def parse(values: list[str]) -> dict[str, str]:
    """{controller or "": sub path} from the --cgroup flags, each path checked."""
    subs: dict[str, str] = {}
    for value in values:
        controllers, sep, path = value.rpartition(":")
        rel = os.path.normpath(path.lstrip("/")) if path.strip("/") else "."
        if rel == ".." or rel.startswith("../"):
            raise CgroupError(f"--cgroup: {path} is not a sub cgroup path")
        rel = "" if rel == "." else rel
        for controller in (controllers.split(",") if sep else [""]):
            subs[controller] = rel
    return subs


def add(dirs: dict[str, str], pid: int, subs: dict[str, str]) -> None:
    """Write pid into each hierarchy's directory (from the manager's all_dirs), or the
    sub-cgroup `subs` names for it."""
    known = set(dirs) | {""}
    unknown = sorted(c for c in subs if c not in known)
    if unknown:
        raise CgroupError(f"--cgroup: unknown controller {unknown[0]!r}")
    by_dir: dict[str, list[str]] = {}
    for controller, directory in dirs.items():
        by_dir.setdefault(directory, []).append(controller)
    for directory, controllers in by_dir.items():
        sub = next((subs[c] for c in controllers if c in subs), subs.get("", ""))
        target = os.path.join(directory, sub) if sub else directory
        try:
            fd = os.open(os.path.join(target, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.write(fd, str(pid).encode())
            finally:
                os.close(fd)
        except OSError as e:
            raise CgroupError(f"adding pid {pid} to cgroups: {target}/cgroup.procs: "
                              f"{(e.strerror or str(e)).lower()}") from None
