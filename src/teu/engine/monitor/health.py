"""Health checks without a daemon.

A container with a health check (--health-cmd, or the image's HEALTHCHECK) gets one
small shell loop beside it (teu.engine.monitor.healthloop), spawned before conmon's
create and told when the container started: every interval it runs
`teu healthcheck run ID`, which execs the check in the container (with its timeout),
records the result in the container's row (State.Health: status, failing streak,
the last 5 results) and exits. The loop ends by itself when the container's init
is gone, and the exit command (teu.engine.monitor.cleanup) kills it too. It is a `sh`, not a
Python: ~1 MiB beside the container instead of a resident interpreter.

Docker's rules: starting until the first success (failures inside the start period
do not count), healthy after a success, unhealthy after `retries` failures in a row;
defaults 30 s interval, 30 s timeout, 3 retries; inside the start period, checks every
start interval (default 5 s) until the first success.
"""

from __future__ import annotations

import os
import time

from teu import fastjson
from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import Conflict, EngineError
from teu.engine.monitor.healthloop import check_of, seconds

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
KEEP = 5
OUTPUT_LIMIT = 4096


def run_check(engine: Engine, ref: str, wait: float = 0.0,
              after_start: bool = False) -> str | None:
    """Run the container's check once, record it; the health status after it. wait:
    run it that many seconds after this process started, with what the check needs
    imported meanwhile (the monitor starts a check that is due soon ahead of time).
    after_start: that many seconds after the container's start instead, read from the
    loop's go line on stdin (teu.engine.monitor.healthloop); None, no check, if stdin
    ends first (the container never started)."""
    if after_start:
        _imports()
        started = _start_line()
        if started is None:
            return None
        _sleep_until(started + wait)
    elif wait > 0:
        _imports()
        _sleep_until(_started() + wait)
    row = S.refresh(engine, engine.find(ref))
    if row is None or row["status"] not in S.RUNNING:
        raise Conflict(f"container {ref} is not running")
    h = check_of(row.settings)
    if h is None:
        raise EngineError(f"container {row['name']} has no health check")
    test = h["Test"]
    command = ["/bin/sh", "-c", test[1]] if test[0] == "CMD-SHELL" else list(test[1:])
    from teu.engine.events import container as event

    exec_id = os.urandom(32).hex()  # dockerd runs a probe as an exec, and reports it so
    event(engine, row, "exec_create: " + " ".join(command), execID=exec_id)
    event(engine, row, "exec_start: " + " ".join(command), execID=exec_id)
    start = time.time()
    code, output = _exec_with_timeout(engine, row, command,
                                      seconds(h, "Timeout", DEFAULT_TIMEOUT))
    end = time.time()
    event(engine, row, "exec_die", execID=exec_id, exitCode=str(code))
    with engine.lock(row["id"]):
        fresh = engine.reload(row)
        if fresh is None:
            return "none"
        health = fastjson.loads(fresh["health"]) if fresh["health"] else {
            "Status": "starting", "FailingStreak": 0, "Log": []}
        was = health.get("Status")
        from teu.engine.timefmt import rfc3339

        health["Log"] = (health.get("Log") or [])[-(KEEP - 1):] + [
            {"Start": rfc3339(start), "End": rfc3339(end), "ExitCode": code,
             "Output": output}]
        in_start_period = end - (fresh["started_at"] or end) < seconds(h, "StartPeriod", 0)
        if code == 0:
            health["Status"] = "healthy"
            health["FailingStreak"] = 0
        elif not in_start_period or health.get("Status") != "starting":
            health["FailingStreak"] = health.get("FailingStreak", 0) + 1
            if health["FailingStreak"] >= int(h.get("Retries") or DEFAULT_RETRIES):
                health["Status"] = "unhealthy"
        with engine.db.tx() as db:
            db.update(row["id"], health=fastjson.dumps(health))
        if health["Status"] != was:  # dockerd reports a change of health, not each check
            event(engine, fresh, "health_status: " + health["Status"])
    return health["Status"]


def _started() -> float:
    """When this process started, on the boot clock (/proc/self/stat's starttime)."""
    return (S.start_time(os.getpid()) or 0) / os.sysconf("SC_CLK_TCK")


# What a check imports (here and in the forked child that execs it): imported while a
# check started ahead waits, not after it is due.
CHECK_MODULES = (
    "teu.engine.events", "teu.engine.timefmt", "teu.engine.lifecycle.execute",
    "teu.engine.config.options", "teu.engine.config.users", "teu.engine.runtimes",
    "teu.runtime.exec", "teu.runtime.run", "teu.runtime.cgroups.v1",
    "teu.runtime.cgroups.v2", "teu.runtime.cgroups.mounts", "copy", "weakref")


def _imports() -> None:
    for name in CHECK_MODULES:
        __import__(name)


def _sleep_until(due: float) -> None:
    left = due - time.clock_gettime(time.CLOCK_BOOTTIME)
    if left > 0:
        time.sleep(left)


def _start_line() -> float | None:
    """The container's start (boot clock) from the go line on stdin, read byte by byte:
    the loop reads the next line, its own copy."""
    line = b""
    while not line.endswith(b"\n"):
        try:
            byte = os.read(0, 1)
        except OSError:
            return None
        if not byte:
            return None
        line += byte
    fields = line.split()
    try:
        return float(fields[1])
    except (IndexError, ValueError):
        return None


def _exec_with_timeout(engine: Engine, row: Row, command: list[str],
                       timeout: float) -> tuple[int, str]:
    """Run the check in the container; (exit code, output), -1 on timeout as docker."""
    from teu.engine.lifecycle.execute import exec_in

    out = os.memfd_create("teu-health-output", os.MFD_CLOEXEC)
    try:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.dup2(out, 1)
                os.dup2(out, 2)
                code = exec_in(engine, row["id"], command, report=False)  # run_check does
            except BaseException as e:  # noqa: BLE001 - the check's output says why
                os.write(2, f"{e}\n".encode())
                code = getattr(e, "exit_code", 1)
            finally:
                os._exit(code if 0 <= code < 256 else 1)
        status = _wait_child(pid, timeout)
        if status is None:
            _kill_check(pid)
            from teu.engine.timefmt import go_duration

            # docker's words, its duration as Go prints it: (300ms), (30s), (1m30s)
            return -1, f"Health check exceeded timeout ({go_duration(round(timeout * 1e9))})"
        text = os.pread(out, OUTPUT_LIMIT, 0).decode(errors="replace")
        return os.waitstatus_to_exitcode(status), text
    finally:
        os.close(out)


def _kill_check(pid: int) -> None:
    """A check past its timeout is killed, as podman's is (SIGKILL): its processes in the
    container first, which its exec (our child `pid`) then reaps, so that none is left
    running there, nor handed to the host's init once the exec is gone (they would pile
    up, one a check); then the exec, if it is not done by then."""
    try:
        ours = os.readlink("/proc/self/ns/pid")
    except OSError:
        ours = ""
    for _ in range(3):  # again: a shell of the check may have forked meanwhile
        inside = [p for p in _descendants(pid) if _pid_ns(p) not in (ours, "")]
        if not inside:
            break
        for p in inside:
            try:
                os.kill(p, 9)
            except ProcessLookupError:
                pass
    if _wait_child(pid, 1.0) is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)


def _descendants(pid: int) -> list[int]:
    """Every process below pid (/proc/PID/task/TID/children), parents first."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{parent}/task/{tid}/children") as f:
                    children = [int(c) for c in f.read().split()]
            except OSError:
                continue
            found.extend(children)
            todo.extend(children)
    return found


def _pid_ns(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return ""


def _wait_child(pid: int, timeout: float) -> int | None:
    """The child's wait status once it exits, None if `timeout` seconds pass first
    (woken by its pidfd, not a poll)."""
    import select

    try:
        pidfd = os.pidfd_open(pid)
    except OSError:  # a kernel before 5.3: poll
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            time.sleep(0.01)
        return None
    try:
        if not select.select([pidfd], [], [], timeout)[0]:
            return None
    finally:
        os.close(pidfd)
    return os.waitpid(pid, 0)[1]
