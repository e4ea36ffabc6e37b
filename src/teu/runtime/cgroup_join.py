"""A container process that joins its cgroup itself, at its birth, instead of being moved.

The runtime's write of a pid to cgroup.procs takes the kernel's cgroup threadgroup lock,
whose first use waits for an RCU grace period (~10 ms here: the longest wait of a start).
None of this takes it:

- cgroup2: the child is born in its directory (clone3's CLONE_INTO_CGROUP);
- v1: the child, one thread, writes "0" ("me") to each hierarchy's `tasks`, which moves
  a single thread with no threadgroup lock (cgroup_procs_write_start).

Every file is opened first, by the parent while it is still the host's root in the
host's namespaces: joining a mount namespace hides the host's paths, and the root of a
user namespace may not open them (a cgroupfs write is checked against its opener's
credentials). The clone itself is checked against the caller's credentials, so it comes
before any setresuid to a user namespace's root: until then the caller is still the
host's uid 0, the owner of every cgroup.procs on the way. Used by create's stage 1
(init.stage1) and exec's (exec._stage1); the parent of either is single-threaded, a
fork of the runtime, so the raw clone is safe.
"""

from __future__ import annotations

import os

from teu.runtime import linux as L


class SelfJoin:
    """`tasks_files`: the v1 hierarchies' `tasks` (Manager.self_join_files); `target`:
    the cgroup2 directory (Manager.clone_target), or None."""

    def __init__(self, tasks_files: list[str], target: str | None) -> None:
        self.tasks_files = tasks_files
        self.target = target
        self.task_fds: list[int] = []
        self.dir_fd = self.procs_fd = -1

    def open(self, procs_fallback: bool = False) -> None:
        """Open what the clone and the child will use. `procs_fallback`: also the
        cgroup2 cgroup.procs, for the caller to move itself where clone3 is refused."""
        from teu.runtime.cgroups.fs import CgroupError

        flags = os.O_CLOEXEC
        try:
            path = ""
            for path in self.tasks_files:
                self.task_fds.append(os.open(path, os.O_WRONLY | flags))
            if self.target is not None:
                path = self.target
                self.dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | flags)
                if procs_fallback:
                    path = os.path.join(self.target, "cgroup.procs")
                    self.procs_fd = os.open(path, os.O_WRONLY | flags)
        except OSError as e:
            self.close()
            raise CgroupError(f"cgroup: opening {path}: {e.strerror}") from None

    def clone(self, sys: L.Syscalls, flags: int) -> tuple[int, bool]:
        """Clone the child (0 in it, as fork), born in the cgroup2 directory where clone3
        allows; returns (pid, whether it is in the cgroup2 directory, or there is none).
        Where clone3 is refused (an older kernel; a seccomp filter, as docker's default
        profile, answering ENOSYS), the caller moves itself there first if it opened
        cgroup.procs (the kernel's wait, paid here), else the child is not in it: the
        runtime moves it."""
        if self.dir_fd >= 0:
            try:
                return sys.clone(flags, self.dir_fd), True
            except OSError:
                pass
            if self.procs_fd >= 0:
                os.write(self.procs_fd, b"0")
                return sys.clone(flags), True
            return sys.clone(flags), False
        return sys.clone(flags), True

    def join_v1(self) -> None:
        """In the child, first thing: into each v1 hierarchy; then no fd of the host's
        is left open."""
        from teu.runtime.cgroups.fs import CgroupError

        try:
            for path, fd in zip(self.tasks_files, self.task_fds, strict=True):
                try:
                    os.write(fd, b"0")
                except OSError as e:
                    raise CgroupError(f'cgroup: writing "0" to {path}: {e.strerror}') from None
        finally:
            self.close()

    def close(self) -> None:
        for fd in (*self.task_fds, self.dir_fd, self.procs_fd):
            if fd >= 0:
                os.close(fd)
        self.task_fds = []
        self.dir_fd = self.procs_fd = -1
