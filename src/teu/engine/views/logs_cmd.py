"""`logs`: print a container's k8s-file log (stdout to stdout, stderr to stderr), and with
follow keep reading as the log grows until the container stops."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.monitor import logs as L


def logs(engine: Engine, ref: str, follow: bool = False, tail: int | None = None,
         since: float | None = None, until: float | None = None, timestamps: bool = False,
         out: int = 1, err: int = 2) -> None:
    for batch in batches(engine, ref, follow, tail, since, until):
        _emit(batch, timestamps, out, err)


def batches(engine: Engine, ref: str, follow: bool = False, tail: int | None = None,
            since: float | None = None, until: float | None = None
            ) -> Iterator[list[L.Record]]:
    """The log's records in batches as they are read; with follow, until the container
    stops (what `teu logs -f` prints and teu.api's logs(stream=True) yields)."""
    row = engine.find(ref)
    if (row.settings["HostConfig"].get("LogConfig") or {}).get("Type") == "none":
        from teu.engine.errors import EngineError

        raise EngineError("configured logging driver does not support reading")
    path = engine.paths.container(row["id"], "ctr.log")
    records, offset = L.read(path, tail, since, until)
    if records:
        yield records
    if not follow:
        return
    pending = b""
    while True:
        fresh = engine.reload(row)
        running = fresh is not None and S.refresh(engine, fresh) is not None and \
            (engine.reload(row) or {}).get("status") in S.RUNNING + ("starting", "restarting")
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            chunk = b""
        if chunk:
            data = pending + chunk
            end = data.rfind(b"\n") + 1
            pending = data[end:]
            offset += len(chunk)
            recs = L.records_of(data[:end])
            recs = [r for r in recs if until is None or r.time <= until]
            if recs:
                yield recs
        if not running:
            return
        time.sleep(0.1)


def _emit(records: list, timestamps: bool, out: int, err: int) -> None:  # noqa: ANN001
    for r in records:
        data = L.format_record(r, timestamps)
        fd = err if r.stream == "stderr" else out
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
