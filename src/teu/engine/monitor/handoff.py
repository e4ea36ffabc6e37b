"""A foreground `teu run`'s two processes: the `teu` the user started, and the monitor
it forks to drive the container, which outlives it.

The monitor (teu.engine.monitor.foreground) is the container's parent and subreaper:
it holds the container's stdio, writes the log, reaps the init and records the exit
code. If the user's `teu` is killed (kill -9, a lost terminal), the container runs on,
as with docker, and the monitor keeps logging and records the container's own exit
code when it ends: nothing depends on the process the user may kill. A fork costs
~0.3 ms here, against ~20 ms for conmon and the second Python it would start.

The `teu` side waits: it reads one line from the monitor (started, or why it could not
start), then waits for the monitor's exit, whose status is the container's exit code.
Signals sent to it (`kill PID`, a script's timeout) go on to the monitor, which
forwards them to the container; the terminal's own (Ctrl-C, SIGWINCH) reach the
monitor directly, as it shares the process group, so they are not passed twice.
"""

from __future__ import annotations

import _signal as signal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

SI_KERNEL = 0x80  # si_code of a signal the kernel (a terminal) generated
STARTED = b"started\n"
DETACHED = signal.SIGUSR2  # from the monitor: the user typed the detach keys
_waiting: list[int] = []  # in the monitor: the pid of the teu that waits for it


def detach() -> None:
    """In the monitor: tell the waiting teu to exit 0 (the container runs on)."""
    if _waiting and os.getppid() == _waiting[0]:
        os.kill(_waiting[0], DETACHED)


def run_in_monitor(body: Callable[[Callable[[], None]], int],
                   forwarded: tuple[int, ...]) -> int:
    """Fork; the child runs body(started) and exits with its result; returns that code
    here, or raises what body raised before it called started()."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    r, w = os.pipe2(os.O_CLOEXEC)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the monitor
        _waiting.append(parent)
        os.close(r)
        _monitor(body, w)
    os.close(w)
    return _wait(pid, r, forwarded)


def _monitor(body: Callable[[Callable[[], None]], int], w: int) -> None:
    code = 125
    told = False

    def started() -> None:
        nonlocal told
        _write(w, STARTED)
        told = True

    try:
        code = body(started)
    except BaseException as e:  # noqa: BLE001 - reported to the waiting teu, then exit
        if told:
            print(f"Error: {e}", file=sys.stderr)
            code = getattr(e, "exit_code", 125) or 125
        else:
            exit_code = getattr(e, "exit_code", None)
            if not isinstance(exit_code, int):
                exit_code = 125
            text = str(e) or type(e).__name__
            _write(w, b"%d\n%s" % (exit_code, text.encode(errors="replace")))
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code & 0xFF)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _wait(pid: int, r: int, forwarded: tuple[int, ...]) -> int:
    if not forwarded and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # --sig-proxy=false: ^C ends teu only
    mask = {*forwarded, signal.SIGCHLD, DETACHED}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, mask)
    try:
        report = b""
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            report += chunk
            if report == STARTED:
                break
        os.close(r)
        r = -1
        if report and report != STARTED:
            _raise_report(report, pid)
        from teu.fileio import is_pipe

        watch_stdout = is_pipe(1)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) \
                    else 128 + os.WTERMSIG(status)
            if watch_stdout:
                # Our stdout's reader may leave (`teu run ... | head -1`): then, like
                # docker's CLI killed by SIGPIPE, we are done; the container runs on
                # under its monitor, which drops what it has no reader for.
                info = signal.sigtimedwait(mask, 0.1)
                if info is None:
                    if _reader_gone(1):
                        return 128 + signal.SIGPIPE
                    continue
            else:
                info = signal.sigwaitinfo(mask)
            if info.si_signo == DETACHED and info.si_pid == pid:
                return 0
            if info.si_signo in forwarded and info.si_code != SI_KERNEL:
                try:
                    os.kill(pid, info.si_signo)
                except ProcessLookupError:
                    pass
    finally:
        if r >= 0:
            os.close(r)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _reader_gone(fd: int) -> bool:
    """The pipe or socket fd writes to has no reader left (poll says POLLERR/POLLHUP)."""
    import select

    p = select.poll()
    p.register(fd, 0)
    return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in p.poll(0))


def _raise_report(report: bytes, pid: int) -> None:
    from teu.engine.errors import CommandError, EngineError

    os.waitpid(pid, 0)
    head, _, text = report.partition(b"\n")
    code = int(head) if head.isdigit() else 125
    message = text.decode(errors="replace")
    if code in (126, 127):
        raise CommandError(message, code)
    error = EngineError(message)
    error.exit_code = code
    raise error
