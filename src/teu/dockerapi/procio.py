"""A forked engine call whose stdio are pipes, pumped to and from a client: exec's
streams (frames unless there is a terminal), stdin from a hijacked connection."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from teu.dockerapi.service import Service
from teu.dockerapi.streams import STDERR, STDOUT, frame


async def run_piped(svc: Service, args: list, write: Callable[[bytes], Any],
                    tty: bool, stdin: asyncio.Queue | None = None,
                    want_out: bool = True, want_err: bool = True,
                    on_start: Callable[[int, int | None], None] | None = None,
                    size: tuple[int, int] | None = None) -> Any:
    """The fork server's exec with args (teu.dockerapi.forkserver); its output to
    `write` (awaited if a coroutine), as frames unless `tty`; stdin fed from the queue
    (None ends it). The exec's exit code.
    With `tty` the child's stdin is a terminal of ours (raw, `size` rows and columns):
    the child copies its size onto the container's terminal at each SIGWINCH, so
    on_start(pid, master) gets our end of it for resizes (teu.dockerapi.execs), and
    on_start(pid, None) says it is about to be closed."""
    loop = asyncio.get_running_loop()
    out_r, out_w = os.pipe()
    err_r, err_w = (out_r, out_w) if tty else os.pipe()
    in_r = in_w = None
    if tty:
        in_w, in_r = _terminal(size)
    elif stdin is not None:
        in_r, in_w = os.pipe()
    try:
        pending = svc.forks.submit("exec", args, in_r, out_w, err_w if not tty else out_w)
    except BaseException:
        for fd in {out_r, err_r, *([in_w] if in_w is not None else [])}:
            os.close(fd)
        raise
    finally:
        for fd in {out_w, err_w, *([in_r] if in_r is not None else [])}:
            os.close(fd)
    pid = await svc.thread(pending.pid)
    if on_start is not None:
        on_start(pid, in_w if tty else None)
    result = asyncio.ensure_future(svc.thread(pending.result))
    feeder = None
    if stdin is not None and in_w is not None:
        feeder = asyncio.ensure_future(_feed(svc, stdin, in_w, close=not tty))
    readers = [(out_r, STDOUT, want_out)] + ([] if tty else [(err_r, STDERR, want_err)])
    try:
        await asyncio.gather(*(_drain(loop, fd, kind, want, tty, write)
                               for fd, kind, want in readers))
        return await result
    finally:
        if feeder is not None:
            feeder.cancel()
        if tty and on_start is not None:
            on_start(pid, None)
        for fd in {out_r, err_r, *([in_w] if tty else [])}:
            os.close(fd)


def _terminal(size: tuple[int, int] | None) -> tuple[int, int]:
    """(master, slave) of a new pty in raw mode: bytes pass unchanged, nothing echoes."""
    import tty as termmode

    master, slave = os.openpty()
    termmode.setraw(slave)
    if size:
        set_size(master, *size)
    return master, slave


def set_size(master: int, rows: int, cols: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


async def _drain(loop: asyncio.AbstractEventLoop, fd: int, kind: int, want: bool, tty: bool,
                 write: Callable[[bytes], Any]) -> None:
    os.set_blocking(fd, False)
    ready = asyncio.Event()
    loop.add_reader(fd, ready.set)
    try:
        while True:
            await ready.wait()
            ready.clear()
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not data:
                return
            if want:
                r = write(data if tty else frame(kind, data))
                if asyncio.iscoroutine(r):
                    await r
    finally:
        loop.remove_reader(fd)


async def _feed(svc: Service, queue: asyncio.Queue, fd: int, close: bool = True) -> None:
    """The queue's bytes to fd until None; then fd is closed (a terminal's master
    stays: resizes still go through it, and run_piped closes it at the end)."""
    try:
        while True:
            data = await queue.get()
            if data is None:
                return
            await svc.thread(_write_all, fd, data)
    except OSError:
        pass
    finally:
        if close:
            os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
