"""A foreground `teu run`: teu.runtime driven in-process, no conmon, no second Python.

teu forks the container's monitor (teu.engine.monitor.handoff: it outlives a
killed `teu`, so the log and the exit code survive it), which becomes a child
subreaper, creates the container in-process (its init inherits the stdio set up
here), starts it, forwards signals to it and waits. Output goes straight to
teu's own stdout/stderr when nobody will read the log (--rm); otherwise it is copied there and into the k8s-file log, so
`teu logs` works as after a detached run. With -t the pty master is held here
and copied both ways. The exit code is written to the exit file like conmon
does, then teu.engine.state.finish records it (and removes an --rm container).
"""

from __future__ import annotations

import _signal as signal  # the C module: `signal` imports enum, ~4 ms
import os
import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.runtime.run import copy_size, raw_stdin, reap_until

FORWARDED = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR1,
             signal.SIGUSR2, signal.SIGALRM, signal.SIGCONT, signal.SIGURG)


def run(engine: Engine, row: Row, runtime) -> int:  # noqa: ANN001
    """Create, start and wait for the container; returns its exit code (128+N if signalled)."""
    from teu.engine.monitor.handoff import run_in_monitor

    proxy = row.settings["Teu"].get("SigProxy", True)  # --sig-proxy=false: none passed on
    return run_in_monitor(lambda started: monitor(engine, row, runtime, started),
                          FORWARDED if proxy else ())


def monitor(engine: Engine, row: Row, runtime, started=lambda: None) -> int:  # noqa: ANN001
    """The monitor's job: prepare, create, start (then started()), pump, wait, record."""
    from teu.engine.lifecycle.launch import abort_start, prepare
    from teu.runtime import linux as L

    cid = row["id"]
    _claim(engine, row)
    settings = row.settings
    config = settings["Config"]
    tty, interactive = bool(config.get("Tty")), bool(config.get("OpenStdin"))
    log_config = settings["HostConfig"].get("LogConfig") or {}
    logged = not settings["HostConfig"].get("AutoRemove") and log_config.get("Type") != "none"
    from teu.engine import network

    session = None
    try:
        # The network's first plugin runs while the rootfs is mounted and the init made.
        session = network.begin(engine, row)
        bundle = prepare(engine, row, session)
        if tty:
            _set_console_size(bundle)
        L.syscalls().prctl(L.PR_SET_CHILD_SUBREAPER, 1)
        io = _Stdio(tty, interactive, logged, os.path.join(bundle, "ctr.log"),
                    _max_size(log_config), (config.get("AttachStdout", True),
                                            config.get("AttachStderr", True)))
        if tty and interactive:
            io.escape = _escape(settings["Teu"].get("DetachKeys"))
        try:
            pid = _create(runtime, cid, bundle, io)
            if session is not None:
                session.finish(pid)
            with engine.db.tx() as db:
                db.update(cid, status="running", pid=pid, pid_start=S.start_time(pid),
                          started_at=time.time())
            runtime.start(cid)
            from teu.engine.events import started as report_start

            report_start(engine, row)
        except BaseException:
            io.close()
            raise
    except BaseException as e:
        if session is not None:
            session.abort()
        abort_start(engine, engine.reload(row) or row, e)
        raise
    started()
    try:
        code = _wait(pid, io, settings["Teu"].get("SigProxy", True))
    finally:
        io.close()
    S.write_exit_file(engine, cid, code)
    if not settings["HostConfig"].get("AutoRemove"):
        S.finish(engine, engine.reload(row) or row, wait_monitor=0)
    else:
        _remove_now(engine, row, code)
    return code


def _claim(engine: Engine, row: Row) -> None:
    """This process, not the teu that forked it, owns the start from now on; unless that
    teu died first and a reader has undone the launch (teu.engine.state.recover): then
    there is nothing left to start, and doing it anyway would make a container nobody
    knows of."""
    from teu.engine.errors import EngineError

    me = os.getpid()
    with engine.lock(row["id"]):
        fresh = engine.reload(row)
        if fresh is None or fresh["status"] != row["status"] \
                or (fresh["monitor_pid"], fresh["monitor_start"]) \
                != (row["monitor_pid"], row["monitor_start"]):
            raise EngineError(f"container {row['id'][:12]} was removed before it started")
        with engine.db.tx() as db:
            db.update(row["id"], monitor_pid=me, monitor_start=S.start_time(me))


def _escape(keys: str | None):  # noqa: ANN202
    from teu.engine.monitor.detach import DEFAULT, EscapeFilter

    if not keys:
        return EscapeFilter(DEFAULT)
    from teu.engine.config.hostopts import detach_keys

    return EscapeFilter(detach_keys(keys))


def _max_size(log_config: dict) -> int:
    value = (log_config.get("Config") or {}).get("max-size")
    if not value:
        return 0
    from teu.engine.config.units import size

    return size(value, "--log-opt max-size")


def _remove_now(engine: Engine, row: Row, code: int) -> None:
    """--rm: the runtime's state, the files and the row go at once. Killed halfway, the
    exit file written before lets the next reader finish the job (state.finish)."""
    from teu.engine.events import container as event
    from teu.engine.events import exited
    from teu.engine.teardown import remove_anonymous_volumes, remove_files

    cid = row["id"]
    exited(engine, row, code)
    with engine.lock(cid) as lock:
        network = S.release_runtime(engine, row, network_wait=False)
        remove_files(engine, row)  # while the network's DEL runs
        with engine.db.tx() as db:
            db.delete(cid)
        event(engine, row, "destroy")
        if network is not None:
            from teu.engine.network import end_release

            end_release(network)
        if row.settings.get("Mounts"):
            remove_anonymous_volumes(engine, row)
        lock.remove()
    try:
        os.unlink(engine.paths.exit_file(cid))
    except FileNotFoundError:
        pass


class _Stdio:
    """The container's stdio, and what copies it to ours (and to the log)."""

    def __init__(self, tty: bool, interactive: bool, logged: bool, log_path: str,
                 max_size: int = 0, attached: tuple[bool, bool] = (True, True)) -> None:
        self.tty = tty
        self.interactive = interactive
        self.master: int | None = None
        self.console = None  # our end of the console socket pair
        self.theirs = None
        self.pipes: dict[int, tuple[str, int]] = {}  # read end -> (stream, our fd)
        self.child_fds: list[int] = []  # the container's 0, 1, 2 while it is created
        self.log = None
        self.escape = None  # the detach keys' filter on stdin (-it)
        if logged:
            from teu.engine.monitor.logs import LogWriter

            self.log = LogWriter(log_path, max_size)
        if tty:
            import socket

            self.console, self.theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            return
        from teu.fileio import is_pipe

        stdin = 0 if interactive else os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        fds = [stdin]
        for (stream, ours), shown in zip((("stdout", 1), ("stderr", 2)), attached,
                                         strict=True):
            if self.log is None and (not shown or not is_pipe(ours)):
                # -a: a stream not attached and not logged goes nowhere
                fds.append(ours if shown else os.open("/dev/null", os.O_WRONLY | os.O_CLOEXEC))
                continue
            # Copied by us, also unlogged when ours is a pipe: if its reader leaves
            # (`| head -1`), the container is not the one to meet EPIPE (as pid 1 it
            # ignores SIGPIPE, and would write its errors forever); as with docker, the
            # teu the user waits on returns and the container runs on (handoff.py).
            r, w = os.pipe2(os.O_CLOEXEC)
            self.pipes[r] = (stream, ours if shown else -1)  # -1: to the log only
            fds.append(w)
        self.child_fds = fds

    def close_child_ends(self) -> None:
        for fd in self.child_fds:
            if fd > 2:
                os.close(fd)
        self.child_fds = []
        if self.theirs is not None:
            self.theirs.close()
            self.theirs = None

    def close(self) -> None:
        self.close_child_ends()
        for r in list(self.pipes):
            os.close(r)
        self.pipes.clear()
        if self.master is not None:
            os.close(self.master)
            self.master = None
        if self.console is not None:
            self.console.close()
            self.console = None
        if self.log is not None:
            self.log.close()
            self.log = None




def _create(runtime, cid: str, bundle: str, io: _Stdio) -> int:  # noqa: ANN001
    """teu.runtime.create with the container's stdio put on our 0/1/2 while its init forks."""
    from teu.runtime.create import CreateOptions, create

    saved = []
    if io.child_fds:
        saved = [os.dup(fd) for fd in (0, 1, 2)]
        for target, fd in enumerate(io.child_fds):
            if fd != target:
                os.dup2(fd, target)
    try:
        os.makedirs(runtime.root, mode=0o700, exist_ok=True)
        state = create(runtime.root, cid, CreateOptions(bundle=bundle), console_sock=io.theirs)
    except Exception as e:
        from teu.engine.errors import CommandError
        from teu.errors import TeuError

        if isinstance(e, TeuError) and e.exit_code in (126, 127):
            raise CommandError(str(e), e.exit_code) from None
        raise
    finally:
        for target, fd in enumerate(saved):
            os.dup2(fd, target)
            os.close(fd)
        io.close_child_ends()
    if io.console is not None:
        from teu.runtime.console import receive_console

        io.master = receive_console(io.console)
        io.console.close()
        io.console = None
    return state.pid


def _wait(pid: int, io: _Stdio, proxy: bool = True) -> int:
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        if signum == signal.SIGWINCH:
            if io.master is not None:
                copy_size(io.master)
            return
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
        received.append(signum)

    for sig in FORWARDED:  # --sig-proxy=false: the monitor ignores what the terminal sends
        signal.signal(sig, forward if proxy else signal.SIG_IGN)
    signal.signal(signal.SIGWINCH, forward)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    if io.master is None and not io.pipes:
        return reap_until(pid, 0)
    return _pump(pid, io)


def _pump(pid: int, io: _Stdio) -> int:
    import select

    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    restore = raw_stdin() if io.master is not None and io.interactive else (lambda: None)
    sources = dict(io.pipes)
    if io.master is not None:
        copy_size(io.master)
        sources[io.master] = ("stdout", 1)
    stdin_open = io.master is not None and io.interactive
    code = -1
    deadline = None
    try:
        while sources:
            fds = list(sources) + [wake_r] + ([0] if stdin_open else [])
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select(fds, [], [], timeout)
            if not ready and deadline is not None:
                break  # something in the container still holds its stdout: stop waiting
            for fd in ready:
                if fd == wake_r:
                    try:
                        os.read(wake_r, 512)
                    except BlockingIOError:
                        pass
                    if code == -1:
                        code = reap_until(pid, os.WNOHANG)
                        if code != -1:
                            deadline = time.monotonic() + 2
                elif fd == 0:
                    data = os.read(0, 65536)
                    detached = False
                    if data and io.escape is not None:
                        data, detached = io.escape.feed(data)
                    if data:
                        _write_all(io.master, data)  # type: ignore[arg-type]
                    if detached:  # the terminal goes; the container and its log stay
                        restore()
                        restore = _nothing
                        sources = {fd: (stream, -1) for fd, (stream, _) in sources.items()}
                        from teu.engine.monitor.handoff import detach

                        detach()
                    if not data or detached:
                        stdin_open = False
                else:
                    stream, ours = sources[fd]
                    try:
                        data = os.read(fd, 65536)
                    except OSError:  # EIO: the pty's last holder is gone
                        data = b""
                    if not data:
                        del sources[fd]
                        continue
                    if io.log is not None:
                        io.log.write(stream, data)
                    if ours >= 0:
                        _write_all(ours, data)
        if code == -1:
            code = reap_until(pid, 0)
        return code
    finally:
        restore()
        signal.set_wakeup_fd(-1)
        os.close(wake_r)
        os.close(wake_w)


def _nothing() -> None:
    pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BrokenPipeError:
            return


def _set_console_size(bundle: str) -> None:
    """The pty's first size is ours (process.consoleSize), so programs start right."""
    import fcntl
    import struct
    import termios

    from teu import fastjson

    try:
        rows, cols = struct.unpack("HHHH", fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8))[:2]
    except OSError:
        return
    path = os.path.join(bundle, "config.json")
    with open(path, "rb") as f:
        spec = fastjson.loads(f.read())
    spec["process"]["consoleSize"] = {"height": rows, "width": cols}
    with open(path, "w") as f:
        f.write(fastjson.dumps(spec))
