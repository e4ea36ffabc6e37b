"""The live view on a terminal (--progress tty, or auto when stderr is one), like
BuildKit's: a header with the elapsed time and the steps done, one line per step
(CACHED, DONE with its time, or running with its clock), and the last lines of a
running step's output under it, redrawn ten times a second in place (ANSI cursor
movement); at the end the final state stays on the screen.
"""

from __future__ import annotations

import collections
import os
import threading
import time

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from typing import TextIO

TAIL = 6


class Step:
    def __init__(self, name: str) -> None:
        self.name = name
        self.state = "running"
        self.start = time.monotonic()
        self.end: float | None = None
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL)

    def line(self, width: int) -> str:
        took = (self.end or time.monotonic()) - self.start
        head = {"cached": " => CACHED ", "error": " => ERROR "}.get(self.state, " => ")
        text = f"{head}{self.name}"
        clock = "" if self.state == "cached" else f"{took:5.1f}s"
        room = max(10, width - len(clock) - 1)
        if len(text) > room:
            text = text[:room - 3] + "..."
        return f"{text:<{room}} {clock}"


class LiveView:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.steps: list[Step] = []
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.drawn = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="teu-build-view", daemon=True)
        self.thread.start()

    def add(self, name: str) -> Step:
        s = Step(name)
        with self.lock:
            self.steps.append(s)
        return s

    def _loop(self) -> None:
        while not self.done.wait(0.1):
            self.draw()

    def draw(self, final: bool = False) -> None:
        try:
            cols, rows = os.get_terminal_size(self.out.fileno())
        except (OSError, ValueError):
            cols, rows = 80, 24
        cols, rows = cols or 80, rows or 24  # a terminal that never got a size
        with self.lock:
            lines = []
            finished = sum(1 for s in self.steps if s.state != "running")
            state = "FINISHED" if final else ""
            lines.append(f"[+] Building {time.monotonic() - self.start:.1f}s "
                         f"({finished}/{len(self.steps)}) {state}".rstrip())
            for s in self.steps:
                lines.append(s.line(cols))
                if s.state == "running" or (s.state == "error"):
                    lines += [f" => > {t}"[:cols] for t in s.tail]
            if not final and len(lines) > rows - 1:
                lines = lines[:1] + lines[-(rows - 2):]
            up = f"\x1b[{self.drawn}F" if self.drawn else ""
            self.out.write(up + "\x1b[J" + "\n".join(lines) + "\n")
            self.out.flush()
            self.drawn = len(lines)

    def close(self) -> None:
        if self.done.is_set():
            return
        self.done.set()
        self.thread.join(timeout=2)
        self.draw(final=True)
