"""`teu container cleanup ID`: conmon's exit command, run once a detached container exits.

It records the exit (teu.engine.state.finish: exit code, runtime state and
cgroup removed, --rm honoured) and applies the restart policy, as docker's
daemon would: on-failure[:N] restarts after a non-zero exit (at most N times),
always and unless-stopped after any exit, none of them after `teu stop` or
`teu kill`. Restarts back off like docker's: 100 ms, doubling while runs last
less than 10 s. Health checks are not restarted here; see teu.engine.monitor.health.
"""

from __future__ import annotations

import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row

RESET_AFTER = 10.0  # a run this long resets the backoff
MAX_DELAY = 60.0


def should_restart(row: Row) -> bool:
    policy = row.settings["HostConfig"].get("RestartPolicy") or {}
    name = policy.get("Name") or "no"
    if name == "no" or row["stopped_by_user"]:
        return False
    if name == "on-failure":
        if not row["exit_code"]:
            return False
        limit = policy.get("MaximumRetryCount") or 0
        return not limit or row["restart_count"] < limit
    return name in ("always", "unless-stopped")


def backoff(row: Row) -> float:
    ran = (row["finished_at"] or 0) - (row["started_at"] or 0)
    if ran >= RESET_AFTER:
        return 0.1
    return min(0.1 * 2 ** min(row["restart_count"], 10), MAX_DELAY)


def cleanup(engine: Engine, cid: str) -> int:
    row = engine.db.get(cid)
    if row is None:
        return 0
    row = S.finish(engine, row)
    if row is None or row["status"] != "exited" or not should_restart(row):
        return 0
    import os

    delay = backoff(row)
    with engine.lock(cid):
        fresh = engine.reload(row)
        if fresh is None or fresh["status"] != "exited" or fresh["stopped_by_user"]:
            return 0
        me = os.getpid()
        with engine.db.tx() as db:
            db.update(cid, status="restarting", monitor_pid=me, monitor_start=S.start_time(me))
    time.sleep(delay)
    from teu.engine.lifecycle.launch import start_detached

    with engine.lock(cid):
        fresh = engine.reload(row)
        if fresh is None or fresh["status"] != "restarting":
            return 0  # stopped or removed meanwhile
        with engine.db.tx() as db:
            db.update(cid, status="starting")
        fresh = engine.reload(row)
    try:
        start_detached(engine, fresh, restart_count=row["restart_count"] + 1)  # type: ignore[arg-type]
    except Exception as e:  # noqa: BLE001 - nobody to tell but the record
        with engine.db.tx() as db:
            db.update(cid, error=f"restart failed: {e}")
        return 1
    return 0
