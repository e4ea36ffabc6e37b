"""A container in a user namespace gets its bind mounts' sources opened by the host's root.

The mapped root of a user namespace may not walk the path to a source (a 0700
directory on the way), but mounting from /proc/self/fd/N needs no walk. The fd must
come from the container's own mount namespace (a bind from another one is EINVAL),
which exists only once the init (or stage 1) has it: so a helper, a fork of a process
that is still the host's root in the host's namespaces, enters that mount namespace,
opens each source (O_PATH, as the host's root resolves it) and sends the fds to the
process that mounts them. runc's runtime does the same for its init.

Two callers, one helper:
- stage 1 (init.stage1) forks it before it unshares its mount namespace, tells it its
  pid once it has one, and receives the fds itself (`fork_helper()`, `receive()`);
- the runtime, for an init it clones itself into a new user and mount namespace
  (init.clone_init): the pair is made before the clone, so the init holds the
  receiving end; the runtime forks the helper with the init's pid as soon as it has
  it (`fork_helper(pid)`), closes its own ends, and reaps the helper (`reap`); the
  init drops the helper's end at birth (`in_receiver`) and receives before it mounts.
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


class BindSourceOpener:
    """The socket pair between the receiver and the helper, and the helper's pid."""

    def __init__(self, paths: dict[int, str]) -> None:
        # Here: create imports this module for every user namespace, binds or not.
        from teu.runtime import fdpass

        self.paths = paths
        self.sock, self.peer = fdpass.socketpair()  # the receiver's end, the helper's
        self.pid = 0

    def fork_helper(self, ns_pid: int = 0) -> None:
        """Fork the helper, which enters the mount namespace of `ns_pid` (0: of the pid
        the receiver sends it, stage 1's own) and answers with the fds."""
        self.pid = os.fork()
        if self.pid == 0:  # the helper: never returns
            try:
                # As the processes it serves: nothing may ptrace it or open its /proc
                # files while it is in the container's mount namespace.
                L.syscalls().prctl(L.PR_SET_DUMPABLE, 0)
                self.sock.close()
                self._serve(ns_pid)
            finally:
                os._exit(0)
        self.peer.close()

    def _serve(self, ns_pid: int) -> None:
        if not ns_pid:
            msg = self.peer.recv(32)
            if not msg:
                return
            ns_pid = int(msg)
        ns = os.open(f"/proc/{ns_pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        L.syscalls().setns(ns, L.CLONE_NEWNS)
        opened, fds = [], []
        for i, path in self.paths.items():
            try:
                fds.append(os.open(path, os.O_PATH | os.O_CLOEXEC))
                opened.append(str(i))
            except OSError:
                continue  # left to the mount itself to report
        from teu.runtime import fdpass  # loaded: __init__'s

        fdpass.send_fds(self.peer, (",".join(opened) or "-").encode(), fds)

    def in_receiver(self) -> None:
        """In the init the runtime cloned (it inherited both ends): drop the helper's,
        so that the helper's death reads as EOF."""
        self.peer.close()

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
            self.reap()
        names = data.decode().split(",") if data not in (b"", b"-") else []
        return {int(i): fd for i, fd in zip(names, fds, strict=False)}

    def close(self) -> None:
        """The runtime's ends, once the helper is forked (or was never)."""
        self.sock.close()
        self.peer.close()

    def reap(self, kill: bool = False) -> None:
        """Wait for the helper (killing it first if asked: a create that failed);
        idempotent."""
        if not self.pid:
            return
        pid, self.pid = self.pid, 0
        if kill:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
