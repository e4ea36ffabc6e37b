"""Build progress like BuildKit's plain output (on stderr; on a terminal, the live view
of teu.build.liveview):

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

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from typing import TextIO


class Progress:
    def __init__(self, mode: str = "plain", out: TextIO | None = None) -> None:
        self.mode = mode
        if out is None or out is sys.stderr:
            # Our own copy of fd 2: while a RUN's container is created its stdio sits on
            # 0/1/2 for a moment, and a line of another stage must not land in there.
            import os

            out = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
        self.out = out
        self.lock = threading.Lock()
        self.n = 0
        self.view = None
        if mode == "tty":
            from teu.build.liveview import LiveView

            self.view = LiveView(out)
        self.later: list[str] = []  # warnings, shown under the live view at the end

    @property
    def quiet(self) -> bool:
        return self.mode == "quiet"

    def _print(self, text: str) -> None:
        if self.quiet or self.mode in ("rawjson", "tty"):
            return
        with self.lock:
            self.out.write(text + "\n")
            self.out.flush()

    def vertex(self, name: str) -> Vertex:
        with self.lock:
            self.n += 1
            n = self.n
        v = Vertex(self, n, name)
        if self.view is not None:
            v.step = self.view.add(name)
        self._print(f"\n#{n} {name}")
        v.raw_vertex()
        return v

    def warn(self, text: str) -> None:
        if self.view is not None:
            self.later.append(text)
            return
        self._print(text)

    def close(self) -> None:
        """The live view's last picture, then what waited for it."""
        if self.view is not None:
            self.view.close()
            self.view = None
            with self.lock:
                for line in self.later:
                    self.out.write(line + "\n")
                self.out.flush()

    def raw(self, obj: dict) -> None:
        """rawjson: one SolveStatus-shaped object per line, as `buildctl --progress
        rawjson` prints them (vertexes, logs)."""
        if self.mode != "rawjson":
            return
        import json

        with self.lock:
            self.out.write(json.dumps(obj, separators=(",", ":")) + "\n")
            self.out.flush()

    def failure(self, name: str, message: str, tail: list[str]) -> None:
        """The error block, shown even when quiet."""
        if self.view is not None:
            self.view.close()
            self.view = None
        lines = ["------", f" > {name}:"]
        lines += [f"{t}" for t in tail]
        lines += ["------"]
        with self.lock:
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()


class Vertex:
    def __init__(self, progress: Progress, n: int, name: str) -> None:
        self.p = progress
        self.n = n
        self.name = name
        self.start = time.monotonic()
        self.started = _now()
        self.step = None  # the live view's line

    def raw_vertex(self, **extra: object) -> None:
        if self.p.mode != "rawjson":
            return
        import hashlib

        digest = "sha256:" + hashlib.sha256(f"{self.n} {self.name}".encode()).hexdigest()
        self.p.raw({"vertexes": [{"digest": digest, "name": self.name,
                                  "started": self.started, **extra}]})

    def _state(self, state: str) -> None:
        if self.step is not None:
            self.step.state = state
            self.step.end = time.monotonic()

    def log(self, line: str) -> None:
        if self.step is not None:
            self.step.tail.append(line)
        self.p._print(f"#{self.n} {time.monotonic() - self.start:.3f} {line}")
        if self.p.mode == "rawjson":
            import base64
            import hashlib

            digest = "sha256:" + hashlib.sha256(f"{self.n} {self.name}".encode()).hexdigest()
            self.p.raw({"logs": [{"vertex": digest, "stream": 1, "timestamp": _now(),
                                  "data": base64.b64encode((line + "\n").encode()).decode()}]})

    def note(self, text: str) -> None:
        self.p._print(f"#{self.n} {text}")

    def cached(self) -> None:
        self._state("cached")
        self.p._print(f"#{self.n} CACHED")
        self.raw_vertex(cached=True, completed=_now())

    def done(self) -> None:
        self._state("done")
        self.p._print(f"#{self.n} DONE {time.monotonic() - self.start:.1f}s")
        self.raw_vertex(completed=_now())

    def error(self, message: str) -> None:
        self._state("error")
        self.p._print(f"#{self.n} ERROR: {message}")
        self.raw_vertex(completed=_now(), error=message)


def _now() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e9):09d}Z"
