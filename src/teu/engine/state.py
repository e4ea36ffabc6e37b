"""What a container's state really is: the row's record, checked against the kernel.

No daemon watches containers, so every reader reconciles: a `running` row whose
init is gone (same pid, same start time, else it is another process) has
exited; its monitor (conmon, or the foreground `teu`) writes the exit code to
<runroot>/exits/<id>, and `finish` records it, removes the runtime's state and
cgroup, and honours --rm. A row left `creating` or `starting` by a teu that
died (kill -9) is undone: a half-made container is removed, a half-started one
is put back to what it was before the start, once no conmon of that launch is left
to run the runtime's create (teu.engine.monitor.orphan); one that got as far as
running is recorded as running, with a new health-check loop. A running container
whose health-check loop is gone (killed, or never told of the start by a teu killed
right after the running record) gets a new one from the reader that sees it. So
`teu ps -a` stays true when processes die behind teu's back.
"""

from __future__ import annotations

import os
import time

from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.procs import alive, start_time
from teu.engine.teardown import (
    health_loop_lost,
    release_runtime,
    remove_files,
    remove_stopped,
    stop_health_loop,
)

__all__ = ["alive", "start_time", "refresh", "refresh_all", "finish", "recover",
           "read_exit_file", "write_exit_file", "release_runtime", "monitor_alive"]

RUNNING = ("running", "paused")
TRANSIENT = ("creating", "starting", "removing", "restarting")
UNKNOWN_EXIT = 255  # what docker records when the daemon lost a container's exit code


def monitor_alive(row: Row) -> bool:
    return alive(row["monitor_pid"], row["monitor_start"])


def refresh(engine: Engine, row: Row) -> Row | None:
    """The row brought up to date (None if the container turned out never to have been)."""
    status = row["status"]
    if status in RUNNING:
        if not alive(row["pid"], row["pid_start"]):
            return finish(engine, row)
        if status == "running" and health_loop_lost(row):
            return restart_health_loop(engine, row)
        return row
    if status in TRANSIENT and not monitor_alive(row):
        return recover(engine, row)
    return row


def refresh_all(engine: Engine) -> list[Row]:
    out = []
    for row in engine.db.all():
        fresh = refresh(engine, row)
        if fresh is not None:
            out.append(fresh)
    return out


def read_exit_file(engine: Engine, cid: str) -> tuple[int, float] | None:
    path = engine.paths.exit_file(cid)
    try:
        with open(path) as f:
            text = f.read().strip()
        when = os.stat(path).st_mtime
    except OSError:
        return None
    try:
        code = int(text)
    except ValueError:
        return None
    return (code if code >= 0 else UNKNOWN_EXIT), when


def write_exit_file(engine: Engine, cid: str, code: int) -> None:
    path = engine.paths.exit_file(cid)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(str(code))
    os.replace(tmp, path)


def finish(engine: Engine, row: Row, wait_monitor: float = 5.0,
           auto_remove: bool = True) -> Row | None:
    """Record the exit of a container whose init is gone; idempotent, under its lock."""
    cid = row["id"]
    with engine.lock(cid):
        row = engine.reload(row)
        if row is None or row["status"] not in RUNNING:
            return row
        if alive(row["pid"], row["pid_start"]):
            return row
        result = read_exit_file(engine, cid)
        deadline = time.monotonic() + wait_monitor
        while result is None and monitor_alive(row) and time.monotonic() < deadline:
            time.sleep(0.01)  # the monitor reaps the init and writes the code right after
            result = read_exit_file(engine, cid)
        code, when = result if result is not None else (UNKNOWN_EXIT, time.time())
        oom = _oom_killed(engine, row)
        release_runtime(engine, row)
        stop_health_loop(row)
        error = None if result is not None else "container exited while teu was not watching"
        with engine.db.tx() as db:
            db.update(cid, status="exited", exit_code=code, finished_at=when, pid=0,
                      pid_start=None, oom_killed=int(oom), error=error)
        from teu.engine.events import container, exited

        if oom:
            container(engine, row, "oom")
        exited(engine, row, code)
        row = engine.reload(row)
    if auto_remove and row is not None and row.settings["HostConfig"].get("AutoRemove"):
        remove_stopped(engine, row)
        return None
    return row


def _oom_killed(engine: Engine, row: Row) -> bool:
    """Before release_runtime removes the cgroup that counted it."""
    from teu.engine.oom import oom_killed
    from teu.engine.runtimes import for_row

    try:
        runtime = for_row(engine.paths, row.settings)
    except Exception:  # noqa: BLE001 - a runtime since uninstalled: its oom file only
        return os.path.exists(engine.paths.container(row["id"], "oom"))
    return oom_killed(runtime, row["id"], engine.paths.container(row["id"]))


def recover(engine: Engine, row: Row) -> Row | None:
    """Undo what a teu killed mid-create or mid-start left behind."""
    cid = row["id"]
    with engine.lock(cid):
        row = engine.reload(row)
        if row is None or row["status"] not in TRANSIENT or monitor_alive(row):
            return row
        if row["status"] in ("creating", "starting") and alive(row["pid"], row["pid_start"]) \
                and _runtime_status(engine, row) == "running":
            return _adopt(engine, row)
        from teu.engine.monitor import orphan

        # A conmon the dead teu started may still be about to run the runtime's create,
        # or be inside it: stop it first, or that create claims the id after the release.
        orphan.stop(engine.paths.container(cid), cid)
        release_runtime(engine, row)
        if row["status"] in ("creating", "removing"):
            with engine.db.tx() as db:
                db.delete(cid)
            remove_files(engine, row)
            return None
        with engine.db.tx() as db:
            back = "exited" if row["started_at"] else "created"
            db.update(cid, status=back, pid=0, pid_start=None, monitor_pid=0,
                      monitor_start=None, exit_code=UNKNOWN_EXIT if back == "exited" else None,
                      error="teu was killed while starting the container")
        return engine.reload(row)


def _adopt(engine: Engine, row: Row) -> Row | None:
    """The start got as far as a running container: it is one; record it as its own
    start would have, with its conmon (if any) as the monitor."""
    from teu.engine.monitor import orphan

    bundle = engine.paths.container(row["id"])
    monitor = orphan.monitor_of(bundle, row["id"]) or 0
    # The killed start's health loop never heard of the start (it is told once the row
    # says running) and has ended: a new one, counting from now (not this reader's
    # child: restart). Killed before go(), this reader leaves a running row whose loop
    # is lost, which the next reader restarts (refresh).
    from teu.engine.monitor import healthloop

    stop_health_loop(row)
    loop = healthloop.restart(engine.paths, row)
    health = {} if loop is None else {"health": loop.record()}
    try:
        with engine.db.tx() as db:
            db.update(row["id"], status="running", monitor_pid=monitor,
                      monitor_start=start_time(monitor), started_at=time.time(),
                      finished_at=None, exit_code=None, oom_killed=0, error=None,
                      stopped_by_user=0, **health)
    except BaseException:
        if loop is not None:
            loop.cancel()
        raise
    if loop is not None:
        loop.go(row["pid"], time.clock_gettime(time.CLOCK_BOOTTIME))
    from teu.engine.events import started

    fresh = engine.reload(row)
    started(engine, fresh or row)
    return fresh


def restart_health_loop(engine: Engine, row: Row) -> Row | None:
    """A running container whose health-check loop is lost gets a new one, keeping its
    health so far, its checks counted from the container's start. Under the container's
    lock, looked at again: of two readers that saw the loop gone, the second finds the
    first one's loop and starts none."""
    from teu import fastjson
    from teu.engine.monitor import healthloop

    with engine.lock(row["id"]):
        fresh = engine.reload(row)
        if fresh is None:
            return None
        if fresh["status"] != "running" or not alive(fresh["pid"], fresh["pid_start"]) \
                or not health_loop_lost(fresh):
            return refresh(engine, fresh)  # changed meanwhile: a plain look
        try:
            loop = healthloop.restart(engine.paths, fresh)
        except OSError as e:  # no process to be had now: the reader still reads
            from teu.runtime import log

            log.warning(f"container {row['id'][:12]}: its health-check loop: {e}")
            return fresh
        health = fastjson.loads(fresh["health"])
        if loop is None:  # no check (any more): no loop to look for
            health.pop("MonitorPid", None)
            health.pop("MonitorStart", None)
        else:
            health["MonitorPid"], health["MonitorStart"] = loop.pid, start_time(loop.pid)
        try:
            with engine.db.tx() as db:
                db.update(row["id"], health=fastjson.dumps(health))
        except BaseException:
            if loop is not None:
                loop.cancel()
            raise
        if loop is not None:  # once recorded: a reader killed before this leaves a
            # recorded loop that reads EOF and ends, lost again for the next reader
            ago = max(0.0, time.time() - (fresh["started_at"] or time.time()))
            loop.go(fresh["pid"], time.clock_gettime(time.CLOCK_BOOTTIME) - ago)
        return engine.reload(fresh)


def _runtime_status(engine: Engine, row: Row) -> str | None:
    from teu.engine.runtimes import for_row

    try:
        return for_row(engine.paths, row.settings).status(row["id"])
    except Exception:  # noqa: BLE001 - treat as unknown
        return None
