"""Waiting for a container to stop: `docker wait`, and what stop, rm -f and an attached
run or start wait with. Below both control (stop, kill) and launch (start -a)."""

from __future__ import annotations

import os
import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row


def exited(row: Row) -> bool:
    return row["status"] not in S.RUNNING and row["status"] not in ("starting", "restarting")


def wait_exit(engine: Engine, row: Row, timeout: float | None = None) -> Row | None:
    """Block until the container is no longer running (None if it was removed)."""
    import select

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        fresh = engine.reload(row)
        if fresh is None:
            return None
        fresh = S.refresh(engine, fresh)
        if fresh is None or exited(fresh):
            return fresh
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return fresh
        step = 0.5 if left is None else min(0.5, left)
        pid = fresh["pid"]
        try:
            fd = os.pidfd_open(pid) if pid > 0 and fresh["status"] in S.RUNNING else -1
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                select.select([fd], [], [], step)
            finally:
                os.close(fd)
        else:
            time.sleep(min(step, 0.05))


def wait(engine: Engine, ref: str, condition: str = "not-running") -> int:
    """docker wait: block until the container stops; its exit code."""
    row = engine.find(ref)
    if condition == "next-exit" or row["status"] in S.RUNNING or row["status"] in (
            "starting", "restarting", "creating"):
        fresh = wait_exit(engine, row)
    else:
        fresh = S.refresh(engine, row)
    if fresh is None:
        code = S.read_exit_file(engine, row["id"])
        return code[0] if code else 0
    return fresh["exit_code"] if fresh["exit_code"] is not None else 0
