"""Health checks without a daemon.

A container with a health check (--health-cmd, or the image's HEALTHCHECK) gets one
small shell loop beside it, started with its conmon: every interval it runs
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

DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_START_INTERVAL = 5.0
KEEP = 5
PREWARM = 5.0  # s: a check due this soon starts its process at once (monitor_script)
OUTPUT_LIMIT = 4096


def check_of(settings: dict) -> dict | None:
    h = settings["Config"].get("Healthcheck") or {}
    test = h.get("Test") or []
    if not test or test[0] == "NONE":
        return None
    return h


def _seconds(h: dict, key: str, default: float) -> float:
    v = h.get(key)
    return v / 1e9 if v else default


def start_monitor(engine: Engine, row: Row) -> None:
    """The shell loop for a container that has just started (no-op without a check)."""
    h = check_of(row.settings)
    if h is None:
        return
    from teu.engine.monitor.conmon import teu_command

    cmd = " ".join(_quote(a) for a in [*teu_command(engine.paths), "healthcheck", "run",
                                       row["id"]])
    script = monitor_script(h, row["pid"], cmd, _uptime())
    null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    try:
        pid = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", script], dict(os.environ),
                             file_actions=[(os.POSIX_SPAWN_DUP2, null, 0),
                                           (os.POSIX_SPAWN_DUP2, null, 1),
                                           (os.POSIX_SPAWN_DUP2, null, 2)],
                             setsid=True)
    finally:
        os.close(null)
    health = {"Status": "starting", "FailingStreak": 0, "Log": [],
              "MonitorPid": pid, "MonitorStart": S.start_time(pid)}
    with engine.db.tx() as db:
        db.update(row["id"], health=fastjson.dumps(health))
    _reap_later(pid)


def monitor_script(h: dict, pid: int, cmd: str, uptime: float) -> str:
    """The loop's shell text. Docker's timing: a check every interval; during the start
    period, while the container is still starting, every start interval instead (5 s
    unless set), so a service that is up in 200 ms is healthy soon, not an interval later.
    The start period is measured on the kernel's uptime clock (/proc/uptime, no process
    started for it). While starting, a check due within PREWARM seconds is started at
    once with `--wait` (see run_check): its Python start and imports overlap the wait,
    so the check runs when due, not a Python start later; it prints the status, and the
    loop goes on to plain `sleep; check` rounds once that is no longer `starting`."""
    interval = _seconds(h, "Interval", DEFAULT_INTERVAL)
    period = _seconds(h, "StartPeriod", 0)
    alive = f"kill -0 {pid} 2>/dev/null"

    def check(wait: float) -> str:  # one check `wait` s from now, its status in $s
        if wait <= PREWARM:
            return f"s=$({cmd} --wait {wait:g} 2>/dev/null)"
        return f"sleep {wait:g}; {alive} || exit 0; s=$({cmd} 2>/dev/null)"

    step = check(interval)
    if period:
        fast = min(_seconds(h, "StartInterval", DEFAULT_START_INTERVAL), interval)
        end = int(uptime + period) + 1
        step = (f"read up _ </proc/uptime; if [ ${{up%.*}} -lt {end} ]; then {check(fast)}; "
                f"else {step}; fi")
    return (f'while {alive}; do {step}; [ "$s" = starting ] || break; done; '
            f"while {alive}; do sleep {interval:g}; {alive} || break; "
            f"{cmd} >/dev/null 2>&1; done")


def _uptime() -> float:
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def _reap_later(pid: int) -> None:
    """The loop is our child until we exit; a double fork would be cleaner, but teu is
    short-lived: init adopts it then. Reap it if it ends before we do."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def run_check(engine: Engine, ref: str, wait: float = 0.0) -> str:
    """Run the container's check once, record it; the health status after it. wait:
    run it that many seconds after this process started, with what the check needs
    imported meanwhile (the monitor starts a check that is due soon ahead of time)."""
    if wait > 0:
        _ready_by(_started() + wait)
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
                                      _seconds(h, "Timeout", DEFAULT_TIMEOUT))
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
        in_start_period = end - (fresh["started_at"] or end) < _seconds(h, "StartPeriod", 0)
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


def _ready_by(due: float) -> None:
    """Import what a check runs through, then sleep until `due` (boot clock)."""
    for name in CHECK_MODULES:
        __import__(name)
    left = due - time.clock_gettime(time.CLOCK_BOOTTIME)
    if left > 0:
        time.sleep(left)


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
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return -1, f"Health check exceeded timeout ({timeout:g}s)"
        text = os.pread(out, OUTPUT_LIMIT, 0).decode(errors="replace")
        return os.waitstatus_to_exitcode(status), text
    finally:
        os.close(out)


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


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\"'\"'") + "'"
