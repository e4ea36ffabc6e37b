"""Streams: docker's multiplexed frames, and iterators the synchronous engine produces
in a thread of their own, consumed by the event loop."""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

STDIN, STDOUT, STDERR = 0, 1, 2
MULTIPLEXED = "application/vnd.docker.multiplexed-stream"
RAW = "application/vnd.docker.raw-stream"
_END = object()


def frame(stream: int, data: bytes) -> bytes:
    """One frame of docker's stdcopy format: stream, 3 zero bytes, big-endian length."""
    return struct.pack(">BxxxL", stream, len(data)) + data


def content_type(version: str, tty: bool) -> str:
    from teu.dockerapi.versions import as_tuple

    return RAW if tty or as_tuple(version) < (1, 42) else MULTIPLEXED


async def in_thread(make: Callable[[], Iterator[Any]],
                    stop: threading.Event | None = None) -> AsyncIterator[Any]:
    """Items of the iterator `make()` builds, run to its end in one thread (the engine's
    SQLite handle lives in the thread that opened it). `stop` set ends it early, at the
    iterator's next item."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue(64)
    stop = stop or threading.Event()

    def put(item: Any) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    def run() -> None:
        try:
            for item in make():
                if stop.is_set():
                    break
                put(item)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            put(_Failure(e))
        finally:
            try:
                put(_END)
            except Exception:  # noqa: BLE001 - the loop is gone: nothing to tell
                pass

    threading.Thread(target=run, daemon=True, name="teu-api-stream").start()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        while not queue.empty():  # unblock a producer waiting on a full queue
            queue.get_nowait()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


async def watch_disconnect(receive: Callable, stop: threading.Event) -> None:
    """Set `stop` when the client goes away (a task beside a streamed response)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            stop.set()
            return
