"""Verbs on an existing container: stop, kill, wait, restart, pause, unpause, rename."""

from __future__ import annotations

import os

from teu.engine import state as S
from teu.engine.config import units
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import Conflict, EngineError
from teu.engine.lifecycle.waiting import exited as _exited
from teu.engine.lifecycle.waiting import wait, wait_exit

__all__ = ["stop", "kill", "kill_and_wait", "wait", "wait_exit", "restart", "pause",
           "unpause", "rename"]

SIGKILL = 9


def _current(engine: Engine, ref: str) -> Row:
    row = S.refresh(engine, engine.find(ref))
    if row is None:
        raise EngineError(f"No such container: {ref}")
    return row


def stop(engine: Engine, ref: str, timeout: float | None = None,
         signal: str | int | None = None) -> Row:
    """docker stop: the stop signal, then SIGKILL after the timeout; waits for the exit."""
    row = _current(engine, ref)
    was_running = row["status"] in S.RUNNING
    done = _stop(engine, row, timeout, signal)
    if was_running:
        from teu.engine.events import container as event

        event(engine, row, "stop")
    return done


def _stop(engine: Engine, row: Row, timeout: float | None,
          signal: str | int | None) -> Row:
    if row["status"] == "restarting":
        with engine.db.tx() as db:  # the pending restart sees this and gives up
            db.update(row["id"], status="exited", stopped_by_user=1)
        return engine.reload(row)  # type: ignore[return-value]
    if _exited(row):
        return row
    config = row.settings["Config"]
    sig = units.signal_number(signal or config.get("StopSignal") or "SIGTERM", "--signal")
    if timeout is None:
        timeout = config.get("StopTimeout", 10)
    with engine.db.tx() as db:
        db.update(row["id"], stopped_by_user=1)
    _signal(engine, row, sig)
    if timeout is not None and timeout >= 0:
        fresh = wait_exit(engine, row, timeout)
        if fresh is None or _exited(fresh):
            return fresh or row
    return kill_and_wait(engine, row)  # type: ignore[return-value]


def kill(engine: Engine, ref: str, signal: str | int = "SIGKILL") -> Row:
    """docker kill: one signal to the container's init (Conflict if it is not running)."""
    sig = units.signal_number(signal, "--signal")
    row = _current(engine, ref)
    if row["status"] not in S.RUNNING:
        raise Conflict(f"Cannot kill container: {ref}: Container {row['id']} is not running")
    if sig == SIGKILL:
        with engine.db.tx() as db:
            db.update(row["id"], stopped_by_user=1)
    _signal(engine, row, sig)
    if sig == SIGKILL:  # dockerd's kill returns once a SIGKILLed container is down
        wait_exit(engine, row, 10.0)
    return row


def kill_and_wait(engine: Engine, row: Row, timeout: float = 30.0) -> Row | None:
    """SIGKILL everything in the container and wait until its exit is recorded
    (None if that removed it: --rm). Wins against its restart policy: the container
    is marked stopped by the user first (a restart that is starting keeps the mark and
    the next exit is final), a pending restart is called off, and whatever is running
    when we look is killed, until it stays down."""
    import time

    cid = row["id"]
    with engine.db.tx() as db:
        db.update(cid, stopped_by_user=1)
    deadline = time.monotonic() + timeout
    while True:
        fresh = engine.reload(row)
        fresh = S.refresh(engine, fresh) if fresh is not None else None
        if fresh is None:
            return None
        status = fresh["status"]
        if status == "restarting":
            with engine.lock(cid):  # the restart re-reads the status under this lock
                again = engine.reload(fresh)
                if again is not None and again["status"] == "restarting":
                    with engine.db.tx() as db:
                        db.update(cid, status="exited", stopped_by_user=1)
            continue
        if _exited(fresh):
            return fresh
        if status in S.RUNNING:
            _signal(engine, fresh, SIGKILL, all_processes=True)
        if time.monotonic() > deadline:
            raise EngineError(f"container {row['name']}: still running after SIGKILL")
        wait_exit(engine, fresh, 0.5 if status in S.RUNNING else 0.05)


def _signal(engine: Engine, row: Row, sig: int, all_processes: bool = False) -> None:
    """Signal through the runtime; a paused container is thawed so the signal lands."""
    from teu.engine.events import container as event
    from teu.engine.runtimes import for_row

    runtime = for_row(engine.paths, row.settings)
    event(engine, row, "kill", signal=str(sig))
    try:
        runtime.kill(row["id"], sig, all_processes)
    except Exception:  # noqa: BLE001 - the runtime lost it: signal the pid we know
        if S.alive(row["pid"], row["pid_start"]):
            try:
                os.kill(row["pid"], sig)
            except ProcessLookupError:
                pass
    if row["status"] == "paused" and sig in (SIGKILL, 15):
        try:
            runtime.resume(row["id"])
        except Exception:  # noqa: BLE001 - already gone
            pass
        with engine.db.tx() as db:
            db.update(row["id"], status="running")


def restart(engine: Engine, ref: str, timeout: float | None = None,
            signal: str | None = None) -> None:
    from teu.engine.events import container as event
    from teu.engine.lifecycle.launch import begin_start, start_detached

    row = stop(engine, ref, timeout, signal)  # dockerd too: kill, die, stop, start, restart
    row = begin_start(engine, row)
    row, _ = start_detached(engine, row)
    event(engine, row, "restart")


def pause(engine: Engine, ref: str) -> None:
    from teu.engine.runtimes import for_row

    row = _current(engine, ref)
    if row["status"] == "paused":
        raise Conflict(f"Container {row['id']} is already paused")
    if row["status"] != "running":
        raise Conflict(f"Container {row['id']} is not running")
    for_row(engine.paths, row.settings).pause(row["id"])
    with engine.db.tx() as db:
        db.update(row["id"], status="paused")
    from teu.engine.events import container as event

    event(engine, row, "pause")


def unpause(engine: Engine, ref: str) -> None:
    from teu.engine.runtimes import for_row

    row = _current(engine, ref)
    if row["status"] != "paused":
        raise Conflict(f"Container {row['id']} is not paused")
    for_row(engine.paths, row.settings).resume(row["id"])
    with engine.db.tx() as db:
        db.update(row["id"], status="running")
    from teu.engine.events import container as event

    event(engine, row, "unpause")


def rename(engine: Engine, ref: str, new_name: str) -> None:
    import _sqlite3

    from teu.engine.config.options import check_name

    new_name = check_name(new_name)
    row = engine.find(ref)
    if row["name"] == new_name:
        raise Conflict("Renaming a container with the same name as its current name")
    try:
        with engine.db.tx() as db:
            db.update(row["id"], name=new_name)
    except _sqlite3.IntegrityError:
        other = engine.db.by_name(new_name)
        raise Conflict(f'Conflict. The container name "/{new_name}" is already in use by '
                       f'container "{other["id"] if other else "?"}". You have to remove '
                       "(or rename) that container to be able to reuse that name.") from None
    from teu.engine.events import container as event

    event(engine, engine.reload(row) or row, "rename", oldName=f"/{row['name']}")
