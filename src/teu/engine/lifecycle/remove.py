"""`rm`: a stopped container's row and files go; a running one needs force (SIGKILL first)."""

from __future__ import annotations

import os

from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import Conflict


def remove(engine: Engine, ref: str, force: bool = False, volumes: bool = False) -> str:
    """docker rm [-f] [-v]; returns the container's ID."""
    from teu.engine import state

    row = engine.find(ref)
    row = state.refresh(engine, row)
    if row is None:
        return ref
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


def remove_stopped(engine: Engine, row: Row, volumes: bool | None = None) -> None:
    """Delete a container that is not running: runtime leftovers, row, files.
    `volumes` None: as --rm does, its anonymous volumes go too."""
    from teu.engine.state import release_runtime

    cid = row["id"]
    with engine.lock(cid) as lock:
        fresh = engine.reload(row)
        if fresh is None:
            return
        with engine.db.tx() as db:
            db.update(cid, status="removing", monitor_pid=os.getpid())
        release_runtime(engine, fresh)
        remove_files(engine, fresh)
        with engine.db.tx() as db:
            db.delete(cid)
        if volumes is None or volumes:
            remove_anonymous_volumes(engine, fresh)
        lock.remove()


def remove_files(engine: Engine, row: Row) -> None:
    cid = row["id"]
    if not row.settings["HostConfig"].get("AutoRemove"):
        # An --rm container's exit file stays a little for `wait` and an attached `run`
        # to read the code; sweep_exit_files removes it later.
        try:
            os.unlink(engine.paths.exit_file(cid))
        except FileNotFoundError:
            pass
    bundle = engine.paths.container(cid)
    from teu.engine.storage.rootfs import clear

    # Mounted here only if this very process started the container (its private namespace).
    clear(os.path.join(bundle, "rootfs"))
    clear(os.path.join(bundle, "secrets"))
    from teu.engine.storage.fsutil import rmtree

    try:
        rmtree(bundle)
    except OSError:
        pass
    if os.path.exists(bundle):
        # a mount still there would be a bug (they live in private namespaces); say so
        from teu.runtime import log

        log.warning(f"container {cid[:12]}: could not remove all of {bundle}")


def remove_anonymous_volumes(engine: Engine, row: Row) -> None:
    from teu.engine.storage import volumes as V

    for m in row.settings.get("Mounts") or []:
        if m.get("Type") != "volume":
            continue
        v = engine.db.volume(m["Name"])
        if v is not None and v["anonymous"]:
            try:
                V.remove(engine.paths, engine.db, m["Name"])
            except Conflict:
                pass  # another container mounts it too


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
