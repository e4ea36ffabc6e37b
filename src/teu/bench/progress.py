"""The progress bar `teu bench` draws on stderr while it works (only on a terminal;
a pipe or a test sees nothing)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.label = ""
        self.started = time.monotonic()
        self.enabled = enabled and sys.stderr.isatty()

    def grow(self, more: int) -> None:
        self.total += more

    def step(self, label: str | None = None, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        if label is not None:
            self.label = label
        self.draw()

    def section(self, label: str) -> None:
        self.label = label
        self.draw()

    def draw(self) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        secs = time.monotonic() - self.started
        sys.stderr.write(f"\r[{bar}] {100 * self.done // self.total:3d}% {secs:5.0f}s "
                         f"{self.label[:40]:<40}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 90 + "\r")
            sys.stderr.flush()
