"""`run`: create, start, and (unless detached) wait for the container, then delete it.

The runtime becomes a child subreaper so the container's init, whose parent
(stage 1) exits during create, is reparented to us and can be waited for.
Signals sent to us are passed on to the container; with a terminal and no
--console-socket we hold the pty master ourselves and copy between it and our
stdio.
"""

from __future__ import annotations

import _signal as signal  # the C module: `signal` imports enum, ~4 ms
import os

from teu.runtime.create import CreateOptions, create
from teu.runtime.lifecycle import destroy, start_loaded, status

FORWARDED = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR1,
             signal.SIGUSR2, signal.SIGPIPE, signal.SIGALRM, signal.SIGCONT, signal.SIGTSTP,
             signal.SIGTTIN, signal.SIGTTOU, signal.SIGURG, signal.SIGWINCH)


def run(root: str, container_id: str, opts: CreateOptions, detach: bool = False,
        keep: bool = False, subreaper: bool = True) -> int:
    """Returns the container's exit code (128+N if killed by signal N), 0 when detached."""
    opts.subreaper = not detach and subreaper
    ours, theirs = _console_pair(opts, detach)
    try:
        state = create(root, container_id, opts, console_sock=theirs)
    finally:
        if theirs is not None:
            theirs.close()
    master = None
    try:
        if ours is not None:
            from teu.runtime.console import receive_console

            master = receive_console(ours)
            ours.close()
        start_loaded(state)
        if detach:
            return 0
        return _wait(state.pid, master)
    finally:
        if not detach and not keep:
            destroy(state, status(state))


def _console_pair(opts: CreateOptions, detach: bool):  # noqa: ANN202
    """A socket pair standing in for --console-socket when we hold the terminal."""
    if detach or opts.console_socket:
        return None, None
    from teu.runtime.create import load_bundle

    config, _ = load_bundle(opts.bundle)
    if not config["process"].get("terminal"):
        return None, None
    import socket

    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def _wait(pid: int, master: int | None) -> int:
    def forward(signum: int, _frame: object) -> None:
        if signum == signal.SIGWINCH and master is not None:
            copy_size(master)
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in FORWARDED:
        signal.signal(sig, forward)
    if master is not None:
        copy_size(master)
        return _proxy(pid, master)
    return reap_until(pid, 0)


def reap_until(pid: int, flags: int) -> int:
    """Reap children (we are a subreaper: orphans come to us) until pid exits; its exit
    code, -1 if not yet (WNOHANG), 255 if there is no child left. teu.engine uses it too."""
    while True:
        try:
            wpid, status = os.waitpid(-1, flags)
        except ChildProcessError:
            return 255
        if wpid == 0:
            return -1
        if wpid == pid:
            return exit_code(status)


def exit_code(status: int) -> int:
    """A wait status -> an exit code, 128+N if killed by signal N."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


def copy_size(master: int) -> None:
    """Our terminal's size (fd 0) onto the pty master; nothing if there is none."""
    import fcntl
    import termios

    try:
        size = fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(master, termios.TIOCSWINSZ, size)
    except OSError:
        pass


def _proxy(pid: int, master: int) -> int:
    """Copy stdin to the pty and the pty to stdout until the container exits."""
    import select

    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    restore = raw_stdin()
    code = None
    stdin_open = True
    try:
        while code is None:
            fds = [master, wake_r] + ([0] if stdin_open else [])
            ready, _, _ = select.select(fds, [], [])
            if master in ready and not _pump(master, 1):
                code = reap_until(pid, 0)
                break
            if 0 in ready and not _pump(0, master):
                stdin_open = False
            if wake_r in ready:
                os.read(wake_r, 512)
                code = reap_until(pid, os.WNOHANG)
                code = None if code == -1 else code
        while _pump(master, 1, block=False):
            pass
        return code
    finally:
        restore()
        signal.set_wakeup_fd(-1)
        os.close(wake_r)
        os.close(wake_w)


def _pump(src: int, dst: int, block: bool = True) -> bool:
    if not block:
        import select

        if not select.select([src], [], [], 0)[0]:
            return False
    try:
        data = os.read(src, 65536)
    except OSError:  # EIO: the pty's last slave closed
        return False
    if not data:
        return False
    while data:
        data = data[os.write(dst, data):]
    return True


def raw_stdin():  # noqa: ANN202
    """Put our terminal (fd 0) in raw mode; returns what restores it (a no-op if no tty)."""
    if not os.isatty(0):
        return lambda: None
    import termios
    import tty

    saved = termios.tcgetattr(0)
    tty.setraw(0, termios.TCSANOW)  # not TCSAFLUSH: input typed ahead is kept, as docker
    return lambda: termios.tcsetattr(0, termios.TCSADRAIN, saved)
