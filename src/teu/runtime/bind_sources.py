"""A container in a user namespace gets its bind mounts' sources opened by the host's root.

The mapped root of a user namespace may not walk the path to a source (a 0700
directory on the way), but mounting from /proc/self/fd/N needs no walk. The fd must
come from the container's own mount namespace (a bind from another one is EINVAL),
which exists only once the init (or stage 1) has it: so a process that is still the
host's root, in the host's user namespace, enters that mount namespace, opens each
source (O_PATH, as the host's root resolves it), and the fds go to the process that
mounts them. runc's runtime does the same for its init.

Two callers:
- the runtime, for an init it clones itself into a new user and mount namespace
  (init.clone_init): the pair is made before the clone, so the init holds the
  receiving end (it drops the other at birth: `in_receiver`); once it has the init's
  pid the runtime, single-threaded, enters the init's mount namespace itself, opens
  the sources, goes back to its own (root and working directory restored) and sends
  them (`open_and_send`): no process of its own, whose fork and exit cost ~10 ms of
  CPU a start;
- stage 1 (init.stage1), which gives up the host's rights when it unshares its user
  namespace, so a helper forked before that (`fork_helper`) does the opening, told
  stage 1's pid once it has its mount namespace (`receive`).
"""

from __future__ import annotations

import os

from teu.runtime import linux as L


def bind_source_paths(mounts: list[dict] | None) -> dict[int, str]:
    """{index in mounts: absolute source} of the bind mounts."""
    paths: dict[int, str] = {}
    for i, m in enumerate(mounts or []):
        options = m.get("options") or []
        if m.get("type") == "bind" or "bind" in options or "rbind" in options:
            paths[i] = os.path.abspath(m.get("source") or "")
    return paths


def _open_sources(paths: dict[int, str]) -> tuple[bytes, list[int]]:
    """The sources this process can open ("i,j,..." of those opened, their fds)."""
    opened, fds = [], []
    for i, path in paths.items():
        try:
            fds.append(os.open(path, os.O_PATH | os.O_CLOEXEC))
            opened.append(str(i))
        except OSError:
            continue  # left to the mount itself to report
    return (",".join(opened) or "-").encode(), fds


class BindSourceOpener:
    """The socket pair between the receiver and the opener, and a helper's pid."""

    def __init__(self, paths: dict[int, str]) -> None:
        # Here: create imports this module for every user namespace, binds or not.
        from teu.runtime import fdpass

        self.paths = paths
        self.sock, self.peer = fdpass.socketpair()  # the receiver's end, the opener's
        self.pid = 0

    # -- the runtime, for the init it cloned ------------------------------------------
    def in_receiver(self) -> None:
        """In the init the runtime cloned (it inherited both ends): drop the opener's,
        so that the runtime's death reads as EOF."""
        self.peer.close()

    def open_and_send(self, ns_pid: int) -> None:
        """Open the sources in the mount namespace of `ns_pid` and send them to it. The
        caller must be single-threaded (setns refuses a shared fs_struct) and the host's
        root; it ends back in its own mount namespace, root and working directory."""
        from teu.runtime import fdpass  # loaded: __init__'s

        sys = L.syscalls()
        flags = os.O_RDONLY | os.O_CLOEXEC
        fds = [os.open("/proc/self/ns/mnt", flags), os.open("/", os.O_PATH | os.O_CLOEXEC),
               os.open(".", os.O_PATH | os.O_CLOEXEC)]
        sources: list[int] = []
        try:
            fds.append(os.open(f"/proc/{ns_pid}/ns/mnt", flags))
            sys.setns(fds[3], L.CLONE_NEWNS)
            try:
                names, sources = _open_sources(self.paths)
            finally:
                # setns sets root and cwd to the namespace's root: a chrooted runtime
                # gets its own root back too (fchdir + chroot(".")).
                sys.setns(fds[0], L.CLONE_NEWNS)
                os.fchdir(fds[1])
                os.chroot(".")
                os.fchdir(fds[2])
            fdpass.send_fds(self.peer, names, sources)
        finally:
            for fd in fds + sources:
                os.close(fd)
            self.close()

    # -- stage 1 ----------------------------------------------------------------------
    def fork_helper(self) -> None:
        """Fork the helper: it waits for the pid whose mount namespace to open in."""
        self.pid = os.fork()
        if self.pid == 0:  # the helper: never returns
            try:
                # As the process it serves: nothing may ptrace it or open its /proc
                # files while it is in the container's mount namespace.
                L.syscalls().prctl(L.PR_SET_DUMPABLE, 0)
                self.sock.close()
                self._serve()
            finally:
                os._exit(0)
        self.peer.close()

    def _serve(self) -> None:
        from teu.runtime import fdpass  # loaded: __init__'s

        msg = self.peer.recv(32)
        if not msg:
            return
        ns = os.open(f"/proc/{int(msg)}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        L.syscalls().setns(ns, L.CLONE_NEWNS)
        fdpass.send_fds(self.peer, *_open_sources(self.paths))

    # -- the receiver -----------------------------------------------------------------
    def receive(self) -> dict[int, int]:
        """Once the receiver has its new mount namespace: {index in mounts: fd}. In
        stage 1 (the helper is its child, waiting for its pid) it says its pid first
        and reaps the helper after."""
        from teu.runtime import fdpass  # loaded: __init__'s

        try:
            if self.pid:
                self.sock.send(str(os.getpid()).encode())
            data, fds = fdpass.recv_fds(self.sock, 65536, max(1, len(self.paths)))
        finally:
            self.sock.close()
            self._reap()
        names = data.decode().split(",") if data not in (b"", b"-") else []
        return {int(i): fd for i, fd in zip(names, fds, strict=False)}

    def close(self) -> None:
        """The opener's ends (the runtime's, once it has sent, or failed to)."""
        self.sock.close()
        self.peer.close()

    def _reap(self) -> None:
        if self.pid:
            pid, self.pid = self.pid, 0
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
