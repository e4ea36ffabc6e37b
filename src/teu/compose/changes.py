"""Waiting for a container's state to change without sleeping a fixed 0.1 s: `up`'s
depends_on waits and `--wait` sleep until the store's event journal (teu.journal) grows,
since whoever changes a container's row reports it there right after (a health check's
`health_status`, an exit's `die`, a start). A check whose status did not change still
writes its exec events, so a waiter also wakes at each check; the timeout is the
fallback for what no event reports (a container's init gone with nobody recording it
yet: the next look at the row finds it).

The journal is watched by its size (a stat every POLL seconds, ~µs each), not inotify:
closing an inotify descriptor that watched a file waits for the kernel's SRCU grace
period, 15-25 ms here, which a waiter would add to every dependency it waits for."""

from __future__ import annotations

import os
import time

FALLBACK = 0.5  # s: the longest a wait sleeps without an event
POLL = 0.01  # s: between two looks at the journal's size


class Changes:
    """Create it before the first look at the rows: a line appended after that look
    ends the next wait at once."""

    def __init__(self, root: str) -> None:
        from teu.journal import path_of

        self._path = path_of(root)
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int]:
        try:
            st = os.stat(self._path)
        except OSError:
            return (0, -1)
        return (st.st_ino, st.st_size)

    def wait(self, timeout: float = FALLBACK) -> None:
        """Until the journal gets a line (or timeout seconds pass)."""
        deadline = time.monotonic() + timeout
        while True:
            now = self._stamp()
            if now != self._seen:
                self._seen = now
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(POLL, left))
