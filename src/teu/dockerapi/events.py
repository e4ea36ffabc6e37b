"""GET /events: the store's event journal (teu.journal, written by the operations of
every teu front) with docker's filters: its history from `since`, then new events as
they are appended (the event loop waits on the journal's inotify fd: no polling),
until `until` or the client leaves."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from teu.dockerapi.http import Request, Send, chunk, start_stream
from teu.dockerapi.service import Service
from teu.dockerapi.streams import watch_disconnect
from teu.errors import InvalidArgument


def _when(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        pass
    from teu.engine.timefmt import parse_rfc3339

    try:
        return parse_rfc3339(value)
    except ValueError:
        raise InvalidArgument(f"invalid timestamp: {value!r}") from None


async def events(svc: Service, req: Request, send: Send) -> None:
    from teu import journal
    from teu.engine.views import events as E

    filters = req.filters()
    bad = sorted(set(filters) - set(E.FILTERS))
    if bad:
        raise InvalidArgument(f"invalid filter '{bad[0]}'")
    until = _when(req.arg("until"))
    since = _when(req.arg("since"))
    until_ns = None if until is None else int(until * 1e9)
    follower = journal.Follower(svc.root)
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()
    if follower.fileno() >= 0:
        loop.add_reader(follower.fileno(), woken.set)
    stop = threading.Event()
    watcher = None
    try:
        batch = follower.history(int(since * 1e9), until_ns) if since is not None else []
        await start_stream(req, send, "application/json")
        watcher = asyncio.create_task(watch_disconnect(req.receive, stop))
        while True:
            for ev in batch:
                if until_ns is not None and ev["timeNano"] > until_ns:
                    stop.set()
                    break
                if E.matches(ev, filters):
                    await chunk(send, json.dumps(E.docker_shape(ev)).encode() + b"\n")
            if stop.is_set() or (until is not None and time.time() >= until):
                break
            wait = 1.0 if until is None else max(0.0, min(1.0, until - time.time()))
            try:
                await asyncio.wait_for(woken.wait(), wait)
            except TimeoutError:
                pass
            woken.clear()
            batch = follower.read()
        await chunk(send, b"", more=False)
    finally:
        if watcher is not None:
            watcher.cancel()
        if follower.fileno() >= 0:
            loop.remove_reader(follower.fileno())
        follower.close()


ROUTES = [("GET", r"/events", events)]
