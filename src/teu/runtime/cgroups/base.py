"""What v1 and v2 managers share: listing, signalling and removing a cgroup tree."""

from __future__ import annotations

import errno
import os
import time

from .fs import CgroupError, read_text

SIGKILL = 9  # the signal module would pull in enum: milliseconds
REMOVE_TIMEOUT = 2.0  # seconds destroy() waits for exiting processes to leave


class Manager:
    """Base of V1Manager and V2Manager; subclasses give the directories and the freezer."""

    path: str

    def __init__(self) -> None:
        # Things asked for that this host cannot do and that the spec lets us skip
        # (deprecated knobs); the runtime shows them as warnings.
        self.warnings: list[str] = []

    # Subclasses provide these.
    def _dirs(self) -> list[str]:
        """Every directory of this cgroup, one per hierarchy."""
        raise NotImplementedError

    def _procs_dir(self) -> str:
        """The directory whose tree lists the processes."""
        raise NotImplementedError

    def can_freeze(self) -> bool:
        raise NotImplementedError

    def freeze(self) -> None:
        raise NotImplementedError

    def thaw(self) -> None:
        raise NotImplementedError

    def frozen(self) -> bool:
        raise NotImplementedError

    # Shared behaviour.
    def exists(self) -> bool:
        return os.path.isdir(self._procs_dir())

    def pids(self) -> list[int]:
        """Every process in the cgroup and the cgroups below it, sorted."""
        found: set[int] = set()
        for directory, _, _ in os.walk(self._procs_dir()):
            try:
                text = read_text(os.path.join(directory, "cgroup.procs"))
                found.update(int(line) for line in text.split())
            except FileNotFoundError:
                continue  # removed while we walked
        return sorted(found)

    def kill_all(self, sig: int = SIGKILL) -> None:
        """Signal every process; frozen meanwhile, so that none can fork out of reach."""
        if not self.exists():
            return
        use_freezer = sig != 0 and self.can_freeze()  # 0 signals nothing: no need
        was_frozen = use_freezer and self.frozen()
        if use_freezer:
            try:
                self.freeze()
            except CgroupError:
                use_freezer = False  # signal anyway; a stuck freeze must not block a kill
        try:
            self._signal_all(sig)
        finally:
            # Frozen tasks do not act on SIGKILL under v1: thaw so they die. Other
            # signals leave a paused container paused.
            if use_freezer and (sig == SIGKILL or not was_frozen):
                self.thaw()

    def _signal_all(self, sig: int) -> None:
        me = os.getpid()  # teu itself may sit in a parent cgroup; never signal ourselves
        for pid in self.pids():
            if pid == me:
                continue
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def destroy(self) -> None:
        """Remove the cgroup (and cgroups made inside it) in every hierarchy."""
        for directory in self._dirs():
            remove_tree(directory)


def remove_tree(top: str, timeout: float | None = None) -> None:
    """rmdir `top` and its sub-cgroups bottom-up, waiting briefly for exiting processes."""
    try:
        # The usual cgroup: no sub-cgroups and its processes gone, so one rmdir does
        # (10 hierarchies here: the walk below costs ~0.1 ms each, a start's ~1 %). It
        # cannot take a hierarchy's root: rmdir refuses a mount point (EBUSY).
        os.rmdir(top)
        return
    except FileNotFoundError:
        return
    except OSError as e:
        if e.errno not in (errno.EBUSY, errno.ENOTEMPTY):  # sub-cgroups, or processes
            raise CgroupError(f"cgroup: removing {top}: {e.strerror}") from None
    if os.path.ismount(top):
        # A hierarchy's root is the host's, never a container's: not walked.
        raise CgroupError(f"cgroup: refusing to remove {top}: it is a cgroup mount root")
    deadline = time.monotonic() + (REMOVE_TIMEOUT if timeout is None else timeout)
    delay = 0.005
    while True:
        try:
            _rmdirs(top)
            return
        except OSError as e:
            if e.errno != errno.EBUSY or time.monotonic() >= deadline:
                left = _procs_left(top)
                detail = f" (processes still inside: {left[:10]})" if left else ""
                raise CgroupError(f"cgroup: removing {top}: {e.strerror}{detail}") from None
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _rmdirs(top: str) -> None:
    if not os.path.isdir(top):
        return
    # cgroupfs lets rmdir remove a directory full of control files, but not one
    # with child cgroups: go bottom-up.
    for directory, _, _ in os.walk(top, topdown=False):
        try:
            os.rmdir(directory)
        except FileNotFoundError:
            pass


def _procs_left(top: str) -> list[int]:
    found: list[int] = []
    for directory, _, _ in os.walk(top):
        try:
            found += [int(line) for line in read_text(os.path.join(directory,
                                                                   "cgroup.procs")).split()]
        except OSError:
            continue
    return found
