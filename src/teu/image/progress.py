"""Progress of pulls, pushes and loads, shown the way docker shows it.

On a terminal: one line per layer, redrawn in place ("Downloading [==>  ]
12.3MB/45.6MB"), at most ten times a second. Elsewhere: one line per change
of state ("Pulling fs layer", "Download complete", "Pull complete"), no bars.
Quiet: nothing. Safe to call from the worker threads of a parallel pull.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO

BAR = 50


def human_size(n: float) -> str:
    """docker's units.HumanSize: decimal, three significant digits (4.26MB)."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.3g}{unit}" if unit != "B" else f"{int(n)}B"
        n /= 1000
    return f"{n}B"  # pragma: no cover


class Progress:
    """Silent: what quiet mode and the Python API use by default."""

    def message(self, text: str) -> None:
        pass

    def layer(self, lid: str, status: str, current: int | None = None,
              total: int | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class LineProgress(Progress):
    """Not a terminal: a line per state change, never per byte."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out or sys.stdout
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def message(self, text: str) -> None:
        with self._lock:
            print(text, file=self.out, flush=True)

    def layer(self, lid: str, status: str, current: int | None = None,
              total: int | None = None) -> None:
        with self._lock:
            if self._last.get(lid) == status:
                return
            self._last[lid] = status
            print(f"{lid}: {status}", file=self.out, flush=True)


class TtyProgress(Progress):
    """A terminal: the layer lines are redrawn in place."""

    def __init__(self, out: IO[str] | None = None, interval: float = 0.1) -> None:
        self.out = out or sys.stdout
        self.interval = interval
        self._order: list[str] = []
        self._lines: dict[str, str] = {}
        self._drawn = 0
        self._last_draw = 0.0
        self._lock = threading.Lock()

    def message(self, text: str) -> None:
        with self._lock:
            self._redraw(force=True)
            # Messages go below the block; the block starts again after them.
            self.out.write(text + "\n")
            self.out.flush()
            self._order.clear()
            self._lines.clear()
            self._drawn = 0

    def layer(self, lid: str, status: str, current: int | None = None,
              total: int | None = None) -> None:
        with self._lock:
            if lid not in self._lines:
                self._order.append(lid)
            line = f"{lid}: {status}"
            if current is not None and total:
                filled = min(BAR, int(BAR * current / total))
                arrow = ">" if filled < BAR else ""
                bar = "=" * max(0, filled - (1 if arrow else 0)) + arrow
                line += f" [{bar:<{BAR}}] {human_size(current):>8}/{human_size(total)}"
            changed_status = not self._lines.get(lid, "").startswith(f"{lid}: {status}")
            self._lines[lid] = line
            self._redraw(force=changed_status)

    def _redraw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        w = self.out.write
        if self._drawn:
            w(f"\x1b[{self._drawn}A")
        for lid in self._order:
            w("\x1b[2K" + self._lines[lid] + "\n")
        self._drawn = len(self._order)
        self.out.flush()

    def close(self) -> None:
        with self._lock:
            self._redraw(force=True)


def for_output(quiet: bool, out: IO[str] | None = None) -> Progress:
    out = out or sys.stdout
    if quiet:
        return Progress()
    try:
        tty = out.isatty()
    except (AttributeError, ValueError):
        tty = False
    return TtyProgress(out) if tty else LineProgress(out)
