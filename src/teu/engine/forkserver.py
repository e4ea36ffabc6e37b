"""A fork server: one single-threaded process that forks a worker for each engine call
that must not run in the caller (a container's start unshares the mount namespace,
becomes a subreaper and installs signal handlers; exec, cp and build too).

Forking a threaded caller instead can deadlock the child on a lock another thread held
at the fork (SQLite's, the allocator's, the import lock), and hands it every other
call's pipe ends. A worker forked from here has only the fds its request sent, and the
engine's modules already imported.

Two ways to start one: fork() it before any thread exists (teu.dockerapi's service), or
spawn() it as a fresh interpreter (teu.api, whose caller may already run threads: a
new process by exec inherits no lock and no thread). A spawned server has the context
of the thread that spawned it (namespaces, cgroup, root, credentials, rlimits), so
shared() keeps one per context (context(), compared at each call, ~0.1 ms): a caller
that enters another namespace gets a server there, as a fork of it would have been.
Environment and working directory go with each request instead.

Requests are SOCK_SEQPACKET messages: JSON {"fn": a pickled callable (a module-level
function or a functools.partial of one), "stdio", "env", "cwd"} with fds in SCM_RIGHTS,
the first a pipe on which the worker writes its pid (a line) and then its outcome
(teu.engine.forked's JSON, after its length on a line); the others its stdin, stdout,
stderr where given. Pickle is safe here: the socket is private to the caller and the
server it made.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import threading
from typing import Any

# What every worker is likely to need, imported once in the server, not in each worker.
PRELOAD = ("teu.engine.context", "teu.engine.lifecycle.launch",
           "teu.engine.lifecycle.control", "teu.engine.lifecycle.run",
           "teu.engine.config.spec", "teu.engine.storage.rootfs", "teu.network.netns",
           "teu.engine.events", "teu.engine.lifecycle.execute", "teu.engine.files.cp",
           "teu.engine.monitor.conmon", "teu.runtime.exec", "teu.engine.config.seccomp",
           "teu.engine.config.users", "teu.runtime.mount_options", "teu.runtime.rootfs")

# What _work itself imports: in the server once, not in every worker (~5 ms a call, the
# bulk of a trivial call's round trip).
WORKER_MODULES = ("base64", "pickle", "resource", "teu.engine.forked")


class Usage:
    """A worker's resource use (its own and its reaped children's), as wait4 gives."""

    def __init__(self, utime: float, stime: float, maxrss: int) -> None:
        self.ru_utime, self.ru_stime, self.ru_maxrss = utime, stime, maxrss


class Pending:
    """A call sent to the fork server: pid() once the worker runs, result() at its end."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buf = b""
        self._pid: int | None = None
        self.rusage: Usage | None = None

    def fileno(self) -> int:
        return self._fd

    def buffered(self) -> bool:
        """Outcome bytes already read (select() on the fd would not see them)."""
        return bool(self._buf)

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
            msg = data[:want]
            if msg:
                usage = json.loads(msg).get("rusage")
                if usage:
                    self.rusage = Usage(*usage)
            return decode(msg)
        finally:
            os.close(self._fd)


class ForkServer:
    """fork(): the server forked from this process (call it before any thread exists);
    spawn(): a fresh interpreter. submit() is safe from any thread."""

    def __init__(self, sock: socket.socket, pid: int, proc: Any = None) -> None:
        self.sock = sock
        self.pid = pid
        self._proc = proc

    @classmethod
    def fork(cls, preload: tuple[str, ...] = PRELOAD) -> ForkServer:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # the server: never returns
            ours.close()
            code = 0
            try:
                _serve(theirs, preload, die_with_parent=True)
            except BaseException:  # noqa: BLE001 - nothing to report to
                code = 1
            os._exit(code)
        theirs.close()
        return cls(ours, pid)

    @classmethod
    def spawn(cls, preload: tuple[str, ...] = PRELOAD) -> ForkServer:
        import subprocess
        import sys

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "teu.engine.forkserver", str(theirs.fileno()),
                 ",".join(preload)], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                close_fds=True)
        finally:
            theirs.close()
        return cls(ours, proc.pid, proc)

    def submit(self, fn: Any, stdin: int | None = None, stdout: int | None = None,
               stderr: int | None = None) -> Pending:
        """fn() (picklable) in a worker, with these fds as its stdio, this process's
        environment and working directory (what a fork would have given it)."""
        import base64
        import pickle

        r, w = os.pipe2(os.O_CLOEXEC)
        stdio = [stdin, stdout, stderr]
        fds = [w] + [fd for fd in stdio if fd is not None]
        msg = json.dumps({"fn": base64.b64encode(pickle.dumps(fn)).decode(),
                          "stdio": [fd is not None for fd in stdio],
                          "env": dict(os.environ), "cwd": os.getcwd()}).encode()
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
            if self._proc is not None:
                self._proc.wait()
            else:
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def engine_call(root: str | None, runroot: str | None, fn: Any, *args: Any,
                **kw: Any) -> Any:
    """fn(engine, *args, **kw) with an engine on this store, in a worker: what callers
    submit as functools.partial(engine_call, root, runroot, fn, ...)."""
    from teu.engine.context import Engine

    e = Engine(root, runroot)
    try:
        return fn(e, *args, **kw)
    finally:
        e.close()


# The spawned servers of this process, by the context they were spawned in (context()).
_shared: dict[tuple, ForkServer] = {}
_shared_owner = 0
_shared_lock = threading.Lock()
# Servers kept for other contexts (a caller that moves between test hosts, or threads in
# different namespaces): each pins its namespaces until it ends, so only a few.
KEEP = 4
_NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
               "time_for_children", "user", "uts")


def context() -> tuple:
    """What a process spawned by the calling thread would inherit, and a fork server
    therefore keeps from its spawn: this thread's namespaces (setns and unshare change
    one thread's), cgroup, root directory, credentials and rlimits. ~0.1 ms: readlink
    of the ns links costs a third of a stat() of them (nsfs)."""
    import resource

    ns = []
    for name in _NAMESPACES:
        try:
            ns.append(os.readlink(f"/proc/thread-self/ns/{name}"))
        except OSError:  # a kernel without that namespace
            ns.append("")
    fd = os.open("/proc/thread-self/cgroup", os.O_RDONLY)
    try:
        cgroup = os.read(fd, 65536)
    finally:
        os.close(fd)
    root = os.stat("/")
    limits = tuple(resource.getrlimit(r) for r in _rlimits())
    return (tuple(ns), cgroup, root.st_dev, root.st_ino, os.getresuid(),
            os.getresgid(), tuple(os.getgroups()), limits)


@functools.cache
def _rlimits() -> tuple[int, ...]:
    import resource

    return tuple(getattr(resource, n) for n in sorted(dir(resource))
                 if n.startswith("RLIMIT_"))


def shared() -> ForkServer:
    """A server spawned in the calling thread's current context (context()), started on
    first use in it: a caller that setns()es, unshare()s, moves to another cgroup or
    lowers a limit gets a worker as a fork of it made now would be, not one in the
    context of its first call. Again after a fork of the caller (a child does not share
    its parent's). A server ends when its socket is closed: when it is one of more than
    KEEP, or at this process's exit at the latest."""
    global _shared_owner
    key = context()
    with _shared_lock:
        if _shared_owner != os.getpid():  # a fork of the caller: its parent's are not ours
            for server in _shared.values():
                server.sock.close()
            _shared.clear()
            _shared_owner = os.getpid()
        server = _shared.pop(key, None)
        if server is None or server._proc.poll() is not None:
            server = ForkServer.spawn()
        _shared[key] = server  # the most recently used last
        while len(_shared) > KEEP:
            old = _shared.pop(next(iter(_shared)))
            old.close()
        return server


def submit(fn: Any, stdin: int | None = None, stdout: int | None = None,
           stderr: int | None = None) -> Pending:
    """ForkServer.submit on shared(): once more on a new one if that server ended
    between (it died, or another thread's call in a context beyond KEEP closed it)."""
    try:
        return shared().submit(fn, stdin, stdout, stderr)
    except OSError:
        return shared().submit(fn, stdin, stdout, stderr)


def _serve(sock: socket.socket, preload: tuple[str, ...], die_with_parent: bool) -> None:
    import importlib
    import select
    import signal

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    # a terminal's ^C reaches the whole process group: the workers get it (as a forked
    # child would), the server stays for the caller's next call
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if die_with_parent:  # a forked server's parent is the process' main thread
        _die_with_parent()
    # Only our end of the socket and stdio: not the caller's listening socket (a
    # systemd-passed one included), so nothing of the caller outlives it here.
    mine = sock.fileno()
    os.closerange(3, mine)
    os.closerange(mine + 1, os.sysconf("SC_OPEN_MAX"))
    for name in WORKER_MODULES + preload:
        importlib.import_module(name)
    while True:
        ready, _, _ = select.select([sock], [], [], 1.0)
        _reap()
        if not ready:
            continue
        msg, fds, _, _ = socket.recv_fds(sock, 1 << 24, 4)
        if not msg:
            return  # the caller closed its end
        pid = os.fork()
        if pid == 0:
            sock.close()
            _work(msg, fds)
        for fd in fds:
            os.close(fd)


def _work(msg: bytes, fds: list[int]) -> None:
    """In a worker: its stdio from the request, its pid, the call, its outcome; exit."""
    import base64
    import pickle
    import resource
    import signal

    from teu.engine.forked import outcome

    code = 0
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
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
        if "env" in req:
            os.environ.clear()
            os.environ.update(req["env"])
        if "cwd" in req:
            os.chdir(req["cwd"])
        result = outcome(pickle.loads(base64.b64decode(req["fn"])))
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = json.loads(result)
        report["rusage"] = [me.ru_utime + kids.ru_utime, me.ru_stime + kids.ru_stime,
                            max(me.ru_maxrss, kids.ru_maxrss)]
        result = json.dumps(report).encode()
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


if __name__ == "__main__":  # spawned: python -m teu.engine.forkserver FD MODULES
    import sys

    _serve(socket.socket(fileno=int(sys.argv[1])),
           tuple(m for m in sys.argv[2].split(",") if m), die_with_parent=False)
