"""Waiting for a container's state to change without a fixed poll: `up`'s depends_on
waits and `--wait` sleep until the store's event journal (teu.journal) gets a line,
since whoever changes a container's row reports it there right after (a health check's
`health_status`, an exit's `die`, a start). A check whose status did not change still
writes its exec events, so a waiter also wakes at each check; the timeout is the
fallback for what no event reports (a container's init gone with nobody recording it
yet: the next look at the row finds it)."""

from __future__ import annotations

import select
import time

FALLBACK = 0.5  # s: the longest a wait sleeps without an event


class Changes:
    """Follows the journal from its creation on: create it before the first look at the
    rows, so that nothing written after that look is missed."""

    def __init__(self, root: str) -> None:
        from teu.journal import Follower

        self._follower = Follower(root)

    def wait(self, timeout: float = FALLBACK) -> None:
        """Until the journal gets a line (or timeout seconds pass)."""
        fd = self._follower.fileno()
        if fd < 0:  # no inotify here: a short poll
            time.sleep(min(timeout, 0.1))
        else:
            select.select([fd], [], [], timeout)
        self._follower.read()

    def close(self) -> None:
        self._follower.close()

    def __enter__(self) -> Changes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
