"""cgroup v1 (and hybrid): one directory per hierarchy, each holding some controllers.

`dirs` maps each controller ("cpu", "memory", ..., "name=systemd") to the
container's directory in the hierarchy that holds it; co-mounted controllers
(cpu,cpuacct) share one. On a hybrid host a V2Manager for the cgroup2 mount
rides along: the process joins it too, and it serves what only v2 has there
(hugetlb on this kind of host, `unified` keys).
"""

from __future__ import annotations

import os
import time

from . import fs
from .base import Manager
from .fs import CgroupError
from .v2 import V2Manager

# Which hierarchy lists the processes, best first (all of them should agree).
_PROCS_ORDER = ("pids", "freezer", "devices", "memory", "cpu", "cpuacct", "cpuset", "blkio",
                "name=systemd")
FREEZE_TIMEOUT = 5.0


class V1Manager(Manager):
    """A container's cgroup on a v1 or hybrid host."""

    def __init__(self, dirs: dict[str, str], unified: V2Manager | None = None, *,
                 path: str) -> None:
        super().__init__()
        self.dirs = dict(dirs)
        self.unified = unified
        self.path = path  # in the hierarchy that lists processes (see procs_key)

    @property
    def all_dirs(self) -> dict[str, str]:
        """dirs plus the unified one under "unified": what the runtime saves in its state."""
        out = dict(self.dirs)
        if self.unified is not None:
            out["unified"] = self.unified.dir
        return out

    def _dirs(self) -> list[str]:
        unique = list(dict.fromkeys(self.dirs.values()))
        return unique + ([self.unified.dir] if self.unified is not None else [])

    def _procs_dir(self) -> str:
        return self.dirs[procs_key(self.dirs)]

    def create(self) -> None:
        for directory in dict.fromkeys(self.dirs.values()):
            try:
                os.makedirs(directory, exist_ok=True)
            except OSError as e:
                raise CgroupError(f"cgroup: creating {directory}: {e.strerror}") from None
        if "cpuset" in self.dirs:
            fill_cpuset(self.dirs["cpuset"])
        if "memory" in self.dirs:
            _hierarchical_memory(self.dirs["memory"])
        if self.unified is not None:
            self.unified.create()

    def create_clone_target(self) -> None:
        if self.unified is not None:
            self.unified.create()

    def add(self, pid: int) -> None:
        for directory in dict.fromkeys(self.dirs.values()):
            fs.write(directory, "cgroup.procs", pid)
        if self.unified is not None:
            self.unified.add(pid)

    def clone_target(self) -> str | None:
        return self.unified.dir if self.unified is not None else None

    def self_join_files(self) -> list[str]:
        """Each hierarchy's `tasks`: "0" written there by a single-threaded process moves
        it (its one thread) without the kernel's threadgroup lock, so without the RCU
        grace period a cgroup.procs write waits for (cgroup_procs_write_start)."""
        return [os.path.join(d, "tasks") for d in dict.fromkeys(self.dirs.values())]

    def set(self, resources: dict) -> None:
        from .v1_resources import apply

        apply(self, resources or {})

    def stats(self) -> dict:
        from .v1_stats import collect

        return collect(self)

    # The freezer.
    def can_freeze(self) -> bool:
        return "freezer" in self.dirs and fs.exists(self.dirs["freezer"], "freezer.state")

    def frozen(self) -> bool:
        if "freezer" not in self.dirs:
            return False
        return fs.read_or(self.dirs["freezer"], "freezer.state").strip() == "FROZEN"

    def freeze(self) -> None:
        directory = self._freezer()
        deadline = time.monotonic() + FREEZE_TIMEOUT
        attempt = 0
        while True:
            fs.write(directory, "freezer.state", "FROZEN")
            state = fs.read(directory, "freezer.state").strip()
            if state == "FROZEN":
                return
            attempt += 1
            if time.monotonic() >= deadline:
                fs.write(directory, "freezer.state", "THAWED")
                raise CgroupError(f"cgroup: freezing {directory}: still {state} after "
                                  f"{FREEZE_TIMEOUT:.0f}s; thawed it again")
            # A task in an uninterruptible sleep (vfork, D state) can hold the
            # freeze in FREEZING forever; a thaw and refreeze lets it move on.
            if attempt % 25 == 0:
                fs.write(directory, "freezer.state", "THAWED")
            time.sleep(0.001 if attempt < 10 else 0.01)

    def thaw(self) -> None:
        directory = self._freezer()
        fs.write(directory, "freezer.state", "THAWED")
        for _ in range(1000):
            if fs.read(directory, "freezer.state").strip() == "THAWED":
                return
            time.sleep(0.001)
        raise CgroupError(f"cgroup: thawing {directory}: state stays "
                          f"{fs.read(directory, 'freezer.state').strip()}")

    def _freezer(self) -> str:
        if not self.can_freeze():
            raise CgroupError("cgroup: pause/resume needs the freezer controller, "
                              "which is not mounted on this host")
        return self.dirs["freezer"]


def procs_key(dirs: dict[str, str]) -> str:
    """The controller whose hierarchy pids() reads (all should list the same processes)."""
    for key in _PROCS_ORDER:
        if key in dirs:
            return key
    if dirs:
        return next(iter(dirs))
    raise CgroupError("cgroup: no cgroup v1 hierarchy is mounted")


def fill_cpuset(directory: str) -> None:
    """Give every empty cpuset on the way down its parent's cpus and mems.

    A v1 cpuset starts with none (unless cgroup.clone_children is set), and a
    cgroup without cpus or mems refuses tasks with ENOSPC.
    """
    chain = []
    current = directory
    while True:
        if fs.read_or(current, "cpuset.cpus").strip() and fs.read_or(current, "cpuset.mems").strip():
            break
        parent = os.path.dirname(current)
        if parent == current or not fs.exists(parent, "cpuset.cpus"):
            break
        chain.append(current)
        current = parent
    for child in reversed(chain):
        parent = os.path.dirname(child)
        for name in ("cpuset.cpus", "cpuset.mems"):
            if not fs.read(child, name).strip():
                fs.write(child, name, fs.read(parent, name).strip())


def _hierarchical_memory(directory: str) -> None:
    """Ask for hierarchical accounting where the kernel still lets it be off.

    Since Linux 5.x it is always on (writing 0 fails); on older kernels it must
    be set before children exist, so it is done here at creation.
    """
    if fs.read_or(directory, "memory.use_hierarchy", "1").strip() == "0":
        try:
            fs.write(directory, "memory.use_hierarchy", "1")
        except CgroupError:
            pass  # the parent decides (EINVAL): limits still apply to this cgroup
