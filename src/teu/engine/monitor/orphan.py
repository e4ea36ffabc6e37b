"""A detached launch whose teu died: stop its conmon before anyone releases the container.

`teu run -d`, `teu start` and a restart start conmon, which forks its monitor and runs
`RUNTIME create`; the teu that started it waits for conmon's sync message, then starts
the container. Killed on the way, that teu leaves a conmon that still works on its
own: still about to run the create, inside it, or done and waiting for a start that
will never come. Whoever undoes that launch (teu.engine.state.recover, from any verb)
must first make sure none of it is still to happen, or a create claims the id after
the runtime's state was released: a state dir, a cgroup and a conmon nobody knows of.

How we know what still lives, without a pid file race:
- conmon's sync pipe is a FIFO in the bundle (SYNC). The teu holds its write end from
  before conmon's spawn, and every conmon process inherits it (the first conmon until
  it exits, its monitor for life, or until a write finds no reader). So while some
  process holds the write end, a conmon of this launch may still act; a reader of the
  FIFO sees writers present (EAGAIN) or none (EOF).
- The first conmon writes the monitor's pid (conmon.pid) before it exits. Once that
  file names a live conmon of this container, we wait for its create to end (a child
  of conmon's running `RUNTIME create ... ID` that the runtime's pid file does not
  name as the container's init), then SIGKILL it: the create it may still run dies with it
  (conmon sets PDEATHSIG), and the runtime's delete that follows kills the init.
"""

from __future__ import annotations

import os
import time

from teu.engine.procs import start_time

SYNC = "conmon.sync"
PIDFILE = "conmon.pid"
CONTAINER_PIDFILE = "pidfile"
_STEP = 0.005


def stop(bundle: str, cid: str, timeout: float = 30.0) -> None:
    """Return once no conmon of the bundle's last launch lives and none will; the
    runtime's create it ran, if any, is over."""
    try:
        fd = os.open(os.path.join(bundle, SYNC), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        fd = -1  # no conmon was started (or not by this teu): nothing can come
    deadline = time.monotonic() + timeout
    try:
        while True:
            monitor = monitor_of(bundle, cid)
            if monitor is not None:
                _wait_create(bundle, cid, monitor, deadline)
                _kill(monitor, max(deadline, time.monotonic() + 5))
            elif fd < 0 or not _writers(fd):
                return
            if time.monotonic() > deadline:
                return
            if monitor is None:
                time.sleep(_STEP)  # the first conmon is still on its way to the pid file
    finally:
        if fd >= 0:
            os.close(fd)


def _writers(fd: int) -> bool:
    """Some process still holds the FIFO's write end (read: EAGAIN, or data)."""
    try:
        while os.read(fd, 65536):
            pass  # a sync message nobody else will read
    except BlockingIOError:
        return True
    return False


def monitor_of(bundle: str, cid: str) -> int | None:
    """conmon's monitor, if conmon.pid names a live conmon of this container."""
    pid = _read_pid(os.path.join(bundle, PIDFILE))
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return None
    if cid.encode() not in argv or not _running(pid):
        return None  # gone, or the pid is another process's now
    return pid


def _wait_create(bundle: str, cid: str, monitor: int, deadline: float) -> None:
    """Until the runtime's create under conmon is over (or the deadline passes). Its
    process is conmon's child `RUNTIME ... create ... ID`; the container's init is a
    clone of it (same command line until it execs) that the runtime's pid file names.
    conmon's exit command (`teu container cleanup ID`, after a failed create) may be
    a child too: it waits for the container's lock, which our caller holds."""
    while time.monotonic() < deadline and _running(monitor):
        init = _read_pid(os.path.join(bundle, CONTAINER_PIDFILE))
        if not any(_is_create(child, cid) for child in _children(monitor) if child != init):
            return
        time.sleep(_STEP)


def _is_create(pid: int, cid: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return b"create" in argv and cid.encode() in argv and _running(pid)


def _kill(pid: int, deadline: float) -> None:
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        return
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(_STEP)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie can no longer act): a zombie has no start time."""
    return start_time(pid) is not None


def _read_pid(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None
