"""docker compose's progress: on a terminal, a block redrawn in place (`[+] Running 3/5`,
then one line per network, volume or container with its state and the time it took);
elsewhere the plain lines ` Container shop-db-1  Started` as they come.

It is the `say` callback the compose layer reports through. A line that is not a
resource's state (a warning, "Attaching to ...") is printed above the block. Build
output does not go through it, so a build ("Building") ends the block and the next
resources start a new one below the build's lines."""

from __future__ import annotations

import re
import sys
import threading
import time
from typing import TextIO

_LINE = re.compile(r"^ (Network|Volume|Container|Service|Image) (\S+)  (.+)$")
DONE = {"Created", "Started", "Healthy", "Running", "Removed", "Stopped", "Exited",
        "Recreated", "Built", "Killed", "Paused", "Unpaused", "Pulled"}


class Progress:
    def __init__(self, out: TextIO | None = None, tty: bool | None = None,
                 verb: str = "Running") -> None:
        self.out = out or sys.stderr
        self.tty = self.out.isatty() if tty is None else tty
        self.verb = verb
        self.items: dict[tuple[str, str], list] = {}  # (kind, name): [state, start, end]
        self.drawn = 0
        self.lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self.lock:
            m = _LINE.match(line)
            if not self.tty:
                self.out.write(line + "\n")
                self.out.flush()
                return
            if m is None:
                self._erase()
                self.out.write(line + "\n")
                self._draw()
                return
            kind, name, state = m.groups()
            now = time.monotonic()
            item = self.items.setdefault((kind, name), [state, now, None])
            item[0] = state
            item[2] = now if state in DONE else None
            if kind == "Service" and state == "Building":
                self._end_block()  # the build's own output follows below
                self.out.write(line + "\n")
                self.out.flush()
                return
            self._draw()

    def close(self) -> None:
        """The last drawing stays; what comes after is plain lines."""
        with self.lock:
            if self.tty and self.items:
                self._draw()
            self._end_block()
            self.tty = False

    def _end_block(self) -> None:
        self.items = {k: v for k, v in self.items.items() if v[2] is None and k[0] != "Service"}
        self.drawn = 0

    def _erase(self) -> None:
        if self.drawn:
            self.out.write(f"\x1b[{self.drawn}A\x1b[J")
            self.drawn = 0

    def _draw(self) -> None:
        self._erase()
        if not self.items:
            return
        now = time.monotonic()
        done = sum(1 for v in self.items.values() if v[2] is not None)
        width = max(len(f"{k} {n}") for k, n in self.items)
        states = max(len(v[0]) for v in self.items.values())
        lines = [f"[+] {self.verb} {done}/{len(self.items)}"]
        for (kind, name), (state, start, end) in self.items.items():
            mark = "\u2714" if end is not None else "\u283f"
            took = (end if end is not None else now) - start
            lines.append(f" {mark} {f'{kind} {name}':<{width}}  {state:<{states}}  "
                         f"{took:.1f}s")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self.drawn = len(lines)
