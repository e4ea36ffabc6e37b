"""POST /containers/{id}/attach: the container's output from now on (with logs=1 from
its start) until it stops, and stdin to it. Output comes from the container's log,
which conmon writes, so an attach made before the start misses nothing; stdin goes
to conmon's attach socket once the container runs."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

from teu.dockerapi.hijack import Hijacked
from teu.dockerapi.http import Request, Send, chunk, start_stream
from teu.dockerapi.service import Service
from teu.dockerapi.streams import content_type, frame, in_thread, watch_disconnect
from teu.errors import InvalidArgument


class _Run:
    """Which run of the container an attach follows: the current one if it runs, else
    the next start's (docker's `start -a` attaches first; a second start too)."""

    def __init__(self, row: Any) -> None:
        from teu.engine import state

        self.current = row["status"] in state.RUNNING or row["status"] in (
            "starting", "restarting")
        self.started_at = row["started_at"]

    def begun(self, row: Any) -> bool:
        return self.current or row["started_at"] != self.started_at

    def over(self, row: Any) -> bool:
        from teu.engine.lifecycle.waiting import exited

        return row is None or (self.begun(row) and exited(row))


def _source(svc: Service, ref: str, q: Any, stop: threading.Event
            ) -> tuple[dict, _Run, Any]:
    """The container's inspect object, the run followed, and a maker of its output's
    (stream, bytes) until that run ends or `stop` is set."""
    from teu.dockerapi.containers import _inspect
    from teu.engine import state
    from teu.engine.events import container as event

    wanted = {s for s in ("stdout", "stderr") if q.flag(s)}
    if not q.flag("stream") and not q.flag("logs"):
        raise InvalidArgument("Bad parameters: you must choose at least one of stream or logs")
    e = svc.engine()
    try:
        info = _inspect(e, ref)
        row = state.refresh(e, e.find(info["Id"]))
        run = _Run(row)
        path = e.paths.container(info["Id"], "ctr.log")
        if row is not None:
            event(e, row, "attach")
    finally:
        e.close()
    # Opened now: conmon appends to this file, and the fd keeps it readable after an
    # auto-removal takes the container's directory away at its exit.
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    if not q.flag("logs"):
        os.lseek(fd, 0, os.SEEK_END)
    return info, run, lambda: _follow(svc, info["Id"], fd, wanted, q.flag("stream"), run,
                                      stop)


def _follow(svc: Service, cid: str, fd: int, wanted: set[str], stream: bool,
            run: _Run, stop: threading.Event) -> Any:
    from teu.engine import state
    from teu.engine.monitor import logs as L

    e = svc.engine()
    pending = b""
    try:
        while True:
            row = e.db.get(cid)
            if row is not None:
                row = state.refresh(e, row)
            done = not stream or run.over(row)
            data = os.read(fd, 1 << 20)
            while data:
                pending += data
                data = os.read(fd, 1 << 20)
            end = pending.rfind(b"\n") + 1
            if end:
                lines, pending = pending[:end], pending[end:]
                for r in L.records_of(lines):
                    if r.stream in wanted:
                        yield (2 if r.stream == "stderr" else 1), r.data
            if done or stop.is_set():
                return
            time.sleep(0.02)
    finally:
        os.close(fd)
        e.close()


async def attach(svc: Service, req: Request, send: Send) -> None:
    """The plain-HTTP form (no stdin): the output is the response body."""
    stop = threading.Event()
    info, _, make = await svc.thread(_source, svc, req.params["id"], req, stop)
    tty = bool(info["Config"].get("Tty"))
    await start_stream(req, send, content_type(req.version, tty))
    watcher = asyncio.create_task(watch_disconnect(req.receive, stop))
    try:
        async for stream, data in in_thread(make, stop):
            await chunk(send, data if tty else frame(stream, data))
        await chunk(send, b"", more=False)
    finally:
        watcher.cancel()


async def attach_hijacked(svc: Service, conn: Hijacked, version: str, ref: str) -> None:
    await conn.body()
    stop = threading.Event()
    info, run, make = await svc.thread(_source, svc, ref, conn, stop)
    tty = bool(info["Config"].get("Tty"))
    conn.upgrade(content_type(version, tty))
    feeder = None
    if conn.flag("stdin") and info["Config"].get("OpenStdin"):
        feeder = asyncio.ensure_future(_feed_stdin(svc, info["Id"], conn, run, stop))
    try:
        async for stream, data in in_thread(make, stop):
            if conn.closed:
                break
            conn.write(data if tty else frame(stream, data))
    finally:
        stop.set()
        if feeder is not None:
            feeder.cancel()


async def _feed_stdin(svc: Service, cid: str, conn: Hijacked, run: _Run,
                      stop: threading.Event) -> None:
    """The client's bytes to conmon's attach socket, once the container runs."""
    from teu.engine.errors import EngineError
    from teu.engine.monitor.attach import connect

    def open_socket() -> Any:
        e = svc.engine()
        try:
            row = e.db.get(cid)
            while row is not None and not stop.is_set() and (
                    not run.begun(row) or row["status"] == "starting"):
                time.sleep(0.02)
                row = e.reload(row)
            if row is None or stop.is_set():
                return None
            return connect(e.paths.container(cid))
        except EngineError:  # it ended before we could reach its stdin
            return None
        finally:
            e.close()

    import socket

    sock = await svc.thread(open_socket)
    if sock is None:
        return
    try:
        while True:
            data = await conn.incoming.get()
            if data is None:  # the client's EOF: the container's stdin ends, as conmon
                sock.shutdown(socket.SHUT_WR)  # reads a shutdown; its output goes on
                await asyncio.Event().wait()  # until the attach ends (cancelled)
            await svc.thread(sock.sendall, data)
    finally:
        sock.close()


ROUTES = [("POST", r"/containers/(?P<id>[^/]+)/attach", attach)]
