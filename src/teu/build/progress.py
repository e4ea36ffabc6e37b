"""Build progress like BuildKit's plain output (on stderr):

    #3 [build 2/4] RUN make
    #3 0.512 compiling...
    #3 DONE 1.2s

    #4 [stage-1 2/2] COPY --from=build /out /out
    #4 CACHED

A failed step prints `#N ERROR: ...` and, whatever the mode (even -q), a block with
the step and the last lines of its output. `quiet` prints nothing else.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    def __init__(self, mode: str = "plain", out: TextIO | None = None) -> None:
        self.mode = mode
        self.out = out or sys.stderr
        self.lock = threading.Lock()
        self.n = 0

    @property
    def quiet(self) -> bool:
        return self.mode == "quiet"

    def _print(self, text: str) -> None:
        if self.quiet:
            return
        with self.lock:
            self.out.write(text + "\n")
            self.out.flush()

    def vertex(self, name: str) -> Vertex:
        with self.lock:
            self.n += 1
            n = self.n
        v = Vertex(self, n, name)
        self._print(f"\n#{n} {name}")
        return v

    def warn(self, text: str) -> None:
        self._print(text)

    def failure(self, name: str, message: str, tail: list[str]) -> None:
        """The error block, shown even when quiet."""
        lines = ["------", f" > {name}:"]
        lines += [f"{t}" for t in tail]
        lines += ["------"]
        with self.lock:
            sys.stderr.write("\n".join(lines) + "\n")
            sys.stderr.flush()


class Vertex:
    def __init__(self, progress: Progress, n: int, name: str) -> None:
        self.p = progress
        self.n = n
        self.name = name
        self.start = time.monotonic()

    def log(self, line: str) -> None:
        self.p._print(f"#{self.n} {time.monotonic() - self.start:.3f} {line}")

    def note(self, text: str) -> None:
        self.p._print(f"#{self.n} {text}")

    def cached(self) -> None:
        self.p._print(f"#{self.n} CACHED")

    def done(self) -> None:
        self.p._print(f"#{self.n} DONE {time.monotonic() - self.start:.1f}s")

    def error(self, message: str) -> None:
        self.p._print(f"#{self.n} ERROR: {message}")
