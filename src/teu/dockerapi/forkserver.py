"""The service's fork server: one single-threaded process, forked when the service
starts (before any thread exists), that forks a worker for each engine call that must
not run in the service itself (a container's start unshares the mount namespace,
becomes a subreaper and installs signal handlers; exec and cp too).

Forking the threaded service instead can deadlock the child on a lock another thread
held at the fork (SQLite's, the allocator's), and hands it every other request's pipe
ends. A worker forked from here has only the fds its request sent, and the engine's
modules already imported.

Requests are SOCK_SEQPACKET messages: JSON {"call", "args", "stdio"} with fds in
SCM_RIGHTS, the first a pipe on which the worker writes its pid (a line) and then its
outcome (teu.engine.forked's JSON, after its length on a line); the others its stdin,
stdout, stderr where given.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from typing import Any

# The calls a worker runs: name -> fn(engine, *args). Engine modules imported lazily.


def _start(e: Any, ref: str) -> Any:
    import os

    from teu.engine.lifecycle.launch import start

    # the service records the exit (Service.watch_exit); TEU_API_WATCH=0, for the
    # benchmark's comparison, leaves it to conmon's exit command as `teu start` does
    return start(e, ref, watched=os.environ.get("TEU_API_WATCH") != "0")


def _restart(e: Any, ref: str, timeout: float | None) -> Any:
    from teu.engine.lifecycle.control import restart

    return restart(e, ref, timeout)


def _exec(e: Any, cid: str, command: list[str], options: dict) -> Any:
    from teu.engine.lifecycle.execute import exec_in

    return exec_in(e, cid, command, **options)


def _copy(e: Any, source: str, dest: str, report: bool = True) -> Any:
    from teu.engine.files.cp import copy

    return copy(e, source, dest, report)


def _build(e: Any, options: dict) -> Any:
    import sys

    from teu.build.builder import BuildOptions, build

    opts = BuildOptions(**options, root=e.paths.root, runroot=e.paths.runroot)
    r = build(opts, out=sys.stdout)
    return {"image_id": r.image_id, "tags": r.tags}


def _connect(e: Any, network: str, ref: str, ip: str, ip6: str, aliases: list[str]) -> Any:
    from teu.engine.network import connect

    return connect(e, network, ref, ip, ip6, aliases)


def _disconnect(e: Any, network: str, ref: str, force: bool) -> Any:
    from teu.engine.network import disconnect

    return disconnect(e, network, ref, force)


CALLS: dict[str, Callable[..., Any]] = {"start": _start, "restart": _restart,
                                        "exec": _exec, "copy": _copy, "build": _build,
                                        "connect": _connect, "disconnect": _disconnect}
_PRELOAD = ("teu.engine.lifecycle.launch", "teu.engine.lifecycle.control",
            "teu.engine.config.spec", "teu.engine.storage.rootfs", "teu.network.netns",
            "teu.engine.events",
            "teu.engine.lifecycle.execute", "teu.engine.files.cp", "teu.engine.monitor.conmon",
            "teu.runtime.exec", "teu.engine.config.seccomp", "teu.engine.config.users",
            "teu.runtime.mount_options", "teu.runtime.rootfs")


class Pending:
    """A call sent to the fork server: pid() once the worker runs, result() at its end."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buf = b""
        self._pid: int | None = None

    def pid(self) -> int:
        while self._pid is None:
            line, sep, rest = self._buf.partition(b"\n")
            if sep:
                self._pid, self._buf = int(line), rest
                break
            data = os.read(self._fd, 65536)
            if not data:  # the worker died before it could say
                self._pid = 0
                break
            self._buf += data
        return self._pid

    def result(self) -> Any:
        """The outcome: its length on a line, then its bytes. Read by length, not to the
        end: what the call leaves running (a health monitor it forked) may hold the
        pipe open long after."""
        from teu.engine.forked import decode

        self.pid()
        data = self._buf
        try:
            while b"\n" not in data:
                more = os.read(self._fd, 65536)
                if not more:
                    return decode(b"")
                data += more
            size, _, data = data.partition(b"\n")
            want = int(size)
            while len(data) < want:
                more = os.read(self._fd, 65536)
                if not more:
                    return decode(b"")
                data += more
            return decode(data[:want])
        finally:
            os.close(self._fd)


class ForkServer:
    def __init__(self, root: str | None, runroot: str | None) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # the server: never returns
            ours.close()
            code = 0
            try:
                _serve(theirs, root, runroot)
            except BaseException:  # noqa: BLE001 - nothing to report to
                code = 1
            os._exit(code)
        theirs.close()
        self.pid = pid
        self.sock = ours

    def submit(self, call: str, args: list, stdin: int | None = None,
               stdout: int | None = None, stderr: int | None = None) -> Pending:
        r, w = os.pipe2(os.O_CLOEXEC)
        stdio = [stdin, stdout, stderr]
        fds = [w] + [fd for fd in stdio if fd is not None]
        msg = json.dumps({"call": call, "args": args,
                          "stdio": [fd is not None for fd in stdio]}).encode()
        try:
            socket.send_fds(self.sock, [msg], fds)
        except OSError:
            os.close(r)
            raise
        finally:
            os.close(w)
        return Pending(r)

    def close(self) -> None:
        self.sock.close()  # the server sees the end and exits
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _serve(sock: socket.socket, root: str | None, runroot: str | None) -> None:
    import importlib
    import select
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    _die_with_parent()
    # Only our end of the socket and stdio: not the service's listening socket (a
    # systemd-passed one included), so nothing of the service outlives it here.
    mine = sock.fileno()
    os.closerange(3, mine)
    os.closerange(mine + 1, os.sysconf("SC_OPEN_MAX"))
    for name in _PRELOAD:  # once here, not in every worker
        importlib.import_module(name)
    while True:
        ready, _, _ = select.select([sock], [], [], 1.0)
        _reap()
        if not ready:
            continue
        msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
        if not msg:
            return  # the service closed its end
        pid = os.fork()
        if pid == 0:
            sock.close()
            _work(msg, fds, root, runroot)
        for fd in fds:
            os.close(fd)


def _work(msg: bytes, fds: list[int], root: str | None, runroot: str | None) -> None:
    """In a worker: its stdio from the request, its pid, the call, its outcome; exit."""
    from teu.engine.forked import outcome

    code = 0
    try:
        req = json.loads(msg)
        out, given = fds[0], iter(fds[1:])
        for target, present in enumerate(req["stdio"]):
            if present:
                fd = next(given)
                if fd != target:
                    os.dup2(fd, target)
                    os.close(fd)
            elif target == 0:
                null = os.open("/dev/null", os.O_RDONLY)
                os.dup2(null, 0)
                os.close(null)
        os.set_inheritable(out, False)  # what the call execs never holds it
        os.write(out, f"{os.getpid()}\n".encode())

        def call() -> Any:
            from teu.engine.context import Engine

            e = Engine(root, runroot)
            try:
                return CALLS[req["call"]](e, *req["args"])
            finally:
                e.close()

        result = outcome(call)
        data = memoryview(f"{len(result)}\n".encode() + result)
        while data:
            data = data[os.write(out, data):]
    except BaseException:  # noqa: BLE001
        code = 1
    finally:
        os._exit(code)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _die_with_parent() -> None:
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, 9)
    except (OSError, AttributeError):
        pass
