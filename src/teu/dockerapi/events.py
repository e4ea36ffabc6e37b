"""GET /events: container events as they happen (teu.engine.views.events compares
snapshots of the store every 100 ms), with docker's filters, until `until` or the
client leaves. teu keeps no history of events: `since` in the past starts from now."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from teu.dockerapi.http import Request, Send, chunk, start_stream
from teu.dockerapi.service import Service
from teu.dockerapi.streams import watch_disconnect
from teu.errors import InvalidArgument

_FILTERS = {"type", "event", "container", "image", "label", "scope"}
POLL = 0.1


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
    from teu.engine.views import events as E

    filters = req.filters()
    bad = sorted(set(filters) - _FILTERS)
    if bad:
        raise InvalidArgument(f"invalid filter '{bad[0]}'")
    until = _when(req.arg("until"))
    _when(req.arg("since"))  # checked; there is no history to start from
    stop = threading.Event()
    before = await svc.call(E.snapshot)
    await start_stream(req, send, "application/json")
    watcher = asyncio.create_task(watch_disconnect(req.receive, stop))
    try:
        while not stop.is_set() and (until is None or time.time() < until):
            await asyncio.sleep(POLL)
            after = await svc.call(E.snapshot)
            for ev in E.changes(before, after):
                if E.matches(ev, filters):
                    await chunk(send, json.dumps(ev).encode() + b"\n")
            before = after
        await chunk(send, b"", more=False)
    finally:
        watcher.cancel()


ROUTES = [("GET", r"/events", events)]
