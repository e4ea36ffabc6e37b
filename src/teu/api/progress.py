"""Pull and push progress as docker's JSON events ({"status", "id", "progressDetail",
"progress"}), for a callback or a stream: what docker-py's `api.pull(stream=True,
decode=True)` yields."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from teu.image.progress import Progress, human_size


class EventProgress(Progress):
    """Calls back with one event per layer state change (and per byte count while
    downloading, at most ten times a second per layer)."""

    def __init__(self, callback: Callable[[dict[str, Any]], None]) -> None:
        import time

        self.callback = callback
        self._clock = time.monotonic
        self._last: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def message(self, text: str) -> None:
        with self._lock:
            self.callback({"status": text})

    def layer(self, lid: str, status: str, current: int | None = None,
              total: int | None = None) -> None:
        now = self._clock()
        with self._lock:
            last = self._last.get(lid)
            if last is not None and last[0] == status and current is not None \
                    and now - last[1] < 0.1:
                return
            self._last[lid] = (status, now)
            event: dict[str, Any] = {"status": status, "id": lid}
            if current is not None:
                event["progressDetail"] = {"current": current,
                                           **({"total": total} if total else {})}
                if total:
                    event["progress"] = f"{human_size(current)}/{human_size(total)}"
            else:
                event["progressDetail"] = {}
            self.callback(event)


def streamed(work: Callable[[Progress], Any]) -> Iterator[dict[str, Any]]:
    """Run work(progress) in a thread; yield its events as they come, then re-raise
    its error if it failed."""
    events: queue.Queue = queue.Queue()
    done = object()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work(EventProgress(events.put))
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(e)
        finally:
            events.put(done)

    thread = threading.Thread(target=run, name="teu-progress", daemon=True)
    thread.start()
    while True:
        item = events.get()
        if item is done:
            break
        yield item
    thread.join()
    if failure:
        raise failure[0]
