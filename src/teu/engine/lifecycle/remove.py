"""`rm`: a stopped container's row and files go; a running one needs force (SIGKILL first)."""

from __future__ import annotations

import os

from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import Conflict
from teu.engine.teardown import remove_stopped


def remove(engine: Engine, ref: str, force: bool = False, volumes: bool = False) -> str:
    """docker rm [-f] [-v]; returns the container's ID."""
    from teu.engine import state

    row = engine.find(ref)
    row = _after_launch(engine, state.refresh(engine, row))
    if row is None:
        return ref
    if row.settings["Teu"].get("PodInfra"):
        from teu.engine.pods.join import infra_guard

        infra_guard(engine, row)
    if row["status"] in state.RUNNING or row["status"] in ("starting", "restarting"):
        if not force:
            what = "paused" if row["status"] == "paused" else "running"
            raise Conflict(f"cannot remove container \"/{row['name']}\": container is {what}: "
                           f"stop the container before removing or force remove")
        from teu.engine.lifecycle.control import kill_and_wait

        row = kill_and_wait(engine, row)
        if row is None:
            return ref
    remove_stopped(engine, row, volumes=volumes)
    return row["id"]


def _after_launch(engine: Engine, row: Row | None, timeout: float = 60.0) -> Row | None:
    """docker's daemon ends a create or a start before it removes the container: wait
    while a live teu still makes or starts this one (if that teu dies meanwhile, the
    next refresh undoes its launch: teu.engine.state.recover)."""
    import time

    from teu.engine import state

    deadline = time.monotonic() + timeout
    while row is not None and row["status"] in ("creating", "starting") \
            and state.monitor_alive(row):
        if time.monotonic() > deadline:
            raise Conflict(f"cannot remove container \"/{row['name']}\": it is still being "
                           f"{row['status'][:-3]}ed by process {row['monitor_pid']}")
        time.sleep(0.01)
        row = engine.reload(row)
        row = state.refresh(engine, row) if row is not None else None
    return row


def sweep_exit_files(engine: Engine, older_than: float = 60.0) -> None:
    """Exit files of containers that are gone (kept a while after --rm), once stale."""
    import time

    top = os.path.dirname(engine.paths.exit_file("x"))
    try:
        names = os.listdir(top)
    except FileNotFoundError:
        return
    now = time.time()
    for name in names:
        path = os.path.join(top, name)
        try:
            if now - os.stat(path).st_mtime > older_than and engine.db.get(name) is None:
                os.unlink(path)
        except OSError:
            pass
