"""cgroup v2: one directory in the unified hierarchy.

Controllers must be enabled in every ancestor's cgroup.subtree_control before
their files appear in the container's cgroup. On a pure v2 host create()
enables every controller the parent offers (as runc and crun do), so that
stats work without limits; on a hybrid host the v1 hierarchies carry the
controllers, and only what set() needs (hugetlb) is enabled there.
"""

from __future__ import annotations

import os
import time

from . import fs
from .base import SIGKILL, Manager
from .fs import CgroupError

FREEZE_TIMEOUT = 5.0


class V2Manager(Manager):
    """A container's cgroup in a cgroup2 hierarchy mounted at `mountpoint`."""

    def __init__(self, directory: str, mountpoint: str, enable_all: bool = True) -> None:
        super().__init__()
        self.dir = os.path.normpath(directory)
        self.mountpoint = os.path.normpath(mountpoint)
        self.enable_all = enable_all
        self.path = "/" + os.path.relpath(self.dir, self.mountpoint)
        self.made = False  # by create(), which a second call leaves alone

    @property
    def all_dirs(self) -> dict[str, str]:
        return {"unified": self.dir}

    def _dirs(self) -> list[str]:
        return [self.dir]

    def _procs_dir(self) -> str:
        return self.dir

    def create(self) -> None:
        if self.made:
            return
        try:
            os.makedirs(self.dir, exist_ok=True)
        except OSError as e:
            raise CgroupError(f"cgroup: creating {self.dir}: {e.strerror}") from None
        if self.enable_all:
            self.enable(None, required=False)
        self.made = True

    def create_clone_target(self) -> None:
        self.create()

    def add(self, pid: int) -> None:
        fs.write(self.dir, "cgroup.procs", pid)

    def clone_target(self) -> str | None:
        return self.dir

    def self_join_files(self) -> list[str]:
        return []  # a v2 cgroup is joined at the clone (clone_target), or with add()

    def set(self, resources: dict) -> None:
        from .v2_resources import apply

        apply(self, resources or {})

    def stats(self) -> dict:
        from .v2_stats import collect

        return collect(self.dir)

    def _ancestors(self) -> list[str]:
        """The mount root and every directory down to this cgroup's parent."""
        rel = os.path.relpath(os.path.dirname(self.dir), self.mountpoint)
        out = [self.mountpoint]
        if rel != ".":
            for part in rel.split(os.sep):
                out.append(os.path.join(out[-1], part))
        return out

    def enable(self, controllers: set[str] | None, required: bool = True) -> None:
        """Enable `controllers` (None: all offered) in every ancestor's subtree_control."""
        for parent in self._ancestors():
            offered = fs.read_or(parent, "cgroup.controllers").split()
            active = fs.read_or(parent, "cgroup.subtree_control").split()
            wanted = offered if controllers is None else sorted(controllers)
            for name in wanted:
                if name in active:
                    continue
                if name not in offered:
                    if required:
                        raise CgroupError(
                            f"cgroup: the {name} controller is not available in {parent} "
                            f"(cgroup.controllers: {' '.join(offered) or 'none'})")
                    continue
                try:
                    fs.write(parent, "cgroup.subtree_control", f"+{name}")
                except CgroupError:
                    if required:
                        raise
                    # Best effort: e.g. cpu refuses while realtime tasks are in a
                    # parent; only the resources that need it will then fail.

    # The freezer (core of v2: cgroup.freeze exists in every non-root cgroup).
    def can_freeze(self) -> bool:
        return fs.exists(self.dir, "cgroup.freeze")

    def frozen(self) -> bool:
        return fs.read_keyed(self.dir, "cgroup.events").get("frozen") == 1

    def freeze(self) -> None:
        self._set_frozen(True)

    def thaw(self) -> None:
        self._set_frozen(False)

    def _set_frozen(self, on: bool) -> None:
        if not self.can_freeze():
            raise CgroupError(f"cgroup: {self.dir} has no cgroup.freeze (kernel older than 5.2)")
        fs.write(self.dir, "cgroup.freeze", "1" if on else "0")
        # cgroup.freeze is a request; cgroup.events says when every task stopped.
        deadline = time.monotonic() + FREEZE_TIMEOUT
        delay = 0.0005
        while self.frozen() != on:
            if time.monotonic() >= deadline:
                if on:
                    fs.write(self.dir, "cgroup.freeze", "0")
                word = "freezing" if on else "thawing"
                raise CgroupError(f"cgroup: {word} {self.dir}: not done after "
                                  f"{FREEZE_TIMEOUT:.0f}s")
            time.sleep(delay)
            delay = min(delay * 2, 0.02)

    def kill_all(self, sig: int = SIGKILL) -> None:
        # cgroup.kill (5.14+) kills the whole tree atomically, forks included.
        if sig == SIGKILL and fs.exists(self.dir, "cgroup.kill"):
            fs.write(self.dir, "cgroup.kill", "1")
            return
        super().kill_all(sig)
