"""The logs of a project's containers, merged into one stream with docker compose's
`web-1  | ` prefixes (coloured on a terminal): `compose logs` and attached `up`.

One reader thread per container (each with its own Engine: SQLite handles stay in the
thread that opened them) follows the container's log file through
teu.engine.views.logs_cmd.batches; lines go out whole, under one lock, so two services
never interleave inside a line."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

# docker compose's rainbow: the colour of the Nth container in the order it was listed.
_COLOURS = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]


def short_name(project: str, name: str) -> str:
    """docker compose's log prefix: `web-1` for `shop-web-1` (a container_name stays)."""
    return name[len(project) + 1:] if name.startswith(project + "-") else name


class Printer:
    """Writes records of several containers to one fd with aligned, coloured prefixes."""

    def __init__(self, names: list[str], colour: bool, prefix: bool = True,
                 timestamps: bool = False, fd: int = 1) -> None:
        self.width = max((len(n) for n in names), default=0)
        self.colour = {n: _COLOURS[i % len(_COLOURS)] for i, n in enumerate(names)} \
            if colour else {}
        self.prefix = prefix
        self.timestamps = timestamps
        self.fd = fd
        self.lock = threading.Lock()

    def head(self, name: str) -> bytes:
        if not self.prefix:
            return b""
        text = f"{name:<{self.width}}  | "
        if name in self.colour:
            text = f"\x1b[{self.colour[name]}m{text}\x1b[0m"
        return text.encode()

    def write(self, name: str, records: list) -> None:  # noqa: ANN001 - teu.engine.monitor.logs.Record
        from teu.engine.monitor.logs import format_record

        head = self.head(name)
        out = bytearray()
        for r in records:
            data = format_record(r, self.timestamps)
            for line in data.splitlines(keepends=True):
                out += head + line
            if data and not data.endswith(b"\n"):
                out += b"\n"
        self.raw(bytes(out))

    def line(self, text: str) -> None:
        self.raw(text.encode() + b"\n")

    def raw(self, data: bytes) -> None:
        with self.lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]


class Follower(threading.Thread):
    """Reads one container's log into the printer until it stops (or only what is there,
    without follow); `on_exit(name, cid)` is called when a followed container stops."""

    def __init__(self, paths, cid: str, name: str, printer: Printer, follow: bool,  # noqa: ANN001
                 tail: int | None = None, since: float | None = None,
                 until: float | None = None,
                 on_exit: Callable[[str, str], None] | None = None) -> None:
        super().__init__(daemon=True, name=f"logs-{name}")
        self.paths, self.cid, self.name = paths, cid, name
        self.printer, self.follow = printer, follow
        self.tail, self.since, self.until = tail, since, until
        self.on_exit = on_exit
        self.error: BaseException | None = None

    def run(self) -> None:
        from teu.engine.context import Engine
        from teu.engine.views.logs_cmd import batches

        engine = Engine(self.paths.root, self.paths.runroot)
        try:
            for batch in batches(engine, self.cid, self.follow, self.tail, self.since,
                                 self.until):
                self.printer.write(self.name, batch)
            if self.follow and self.on_exit is not None:
                self.on_exit(self.name, self.cid)
        except BaseException as e:  # noqa: BLE001 - reported by the thread that waits
            self.error = e
        finally:
            engine.close()


def show(engine, containers: list[tuple[str, str]], printer: Printer,  # noqa: ANN001
         follow: bool = False, tail: int | None = None, since: float | None = None,
         until: float | None = None) -> None:
    """`compose logs`: (prefix name, container ID) pairs; without follow, the records
    merged by time; with follow, each as it comes until every container stops."""
    if not follow:
        from teu.engine.views.logs_cmd import batches

        merged = []
        for name, cid in containers:
            for batch in batches(engine, cid, False, tail, since, until):
                merged.extend((r.time, i, name, r) for i, r in enumerate(batch))
        merged.sort(key=lambda x: (x[0], x[1]))
        for _, _, name, r in merged:
            printer.write(name, [r])
        return
    threads = [Follower(engine.paths, cid, name, printer, True, tail, since, until)
               for name, cid in containers]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)
        if t.error is not None:
            raise t.error
