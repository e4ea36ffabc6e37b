"""A forked engine call whose stdio are pipes, pumped to and from a client: exec's
streams (frames unless there is a terminal), stdin from a hijacked connection."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from teu.dockerapi.service import Service, _in_child
from teu.dockerapi.streams import STDERR, STDOUT, frame


async def run_piped(svc: Service, fn: Callable[[Any], Any], write: Callable[[bytes], Any],
                    tty: bool, stdin: asyncio.Queue | None = None,
                    want_out: bool = True, want_err: bool = True,
                    on_start: Callable[[int], None] | None = None) -> Any:
    """fn(engine) in a child; its output to `write` (awaited if a coroutine), as
    frames unless `tty`; stdin fed from the queue (None ends it). fn's result."""
    from teu.engine.forked import Child

    loop = asyncio.get_running_loop()
    out_r, out_w = os.pipe()
    err_r, err_w = (out_r, out_w) if tty else os.pipe()
    in_r = in_w = None
    if stdin is not None:
        in_r, in_w = os.pipe()
    try:
        child = Child(lambda: _in_child(svc, fn), stdin=in_r, stdout=out_w, stderr=err_w,
                      close=tuple({out_r, err_r, *([in_w] if in_w is not None else [])}))
    finally:
        for fd in {out_w, err_w, *([in_r] if in_r is not None else [])}:
            os.close(fd)
    if on_start is not None:
        on_start(child.pid)
    result = asyncio.ensure_future(svc.thread(child.result))
    feeder = None
    if stdin is not None and in_w is not None:
        feeder = asyncio.ensure_future(_feed(svc, stdin, in_w))
    readers = [(out_r, STDOUT, want_out)] + ([] if tty else [(err_r, STDERR, want_err)])
    try:
        await asyncio.gather(*(_drain(loop, fd, kind, want, tty, write)
                               for fd, kind, want in readers))
        return await result
    finally:
        if feeder is not None:
            feeder.cancel()
        for fd in {out_r, err_r}:
            os.close(fd)


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


async def _feed(svc: Service, queue: asyncio.Queue, fd: int) -> None:
    try:
        while True:
            data = await queue.get()
            if data is None:
                return
            await svc.thread(_write_all, fd, data)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
