"""A container's health-check loop: the `sh` that runs `teu healthcheck run ID` every
interval (teu.engine.monitor.health runs and records one check).

The loop is spawned before the container exists (before conmon's create), and waits
on its stdin, a pipe whose write end only the teu starting the container holds: once
the container runs, go() writes its start there, `PID BOOTTIME END` (the init's pid,
the start on the boot clock, the start period's end in whole seconds of
/proc/uptime). The first check, due a start interval (or an interval) after that start,
is already a process by then: its Python start and imports overlap the runtime's
create, not the wait (compose waits on a 100 ms start interval, less than that start
under load), at the lowest priority until go() (the launch it waits for comes first).
If the start fails, or the teu dies first, the write end closes unwritten:
the check and the loop read EOF and end, and nothing is left of a container that
never started.

A loop that dies while its container runs (killed by hand, or its teu killed between
the row's running record and go(), so that it read EOF) is found by the next reader
(teu.engine.teardown.health_loop_lost, from the row), and restart() gives the container
a new loop, which teu.engine.state records under the container's lock (so one loop
only) before go().

Below teu.engine.state, which starts a loop for a start it adopts from a killed teu
(state.recover) or for a running container whose loop is lost, and the lifecycle
verbs, which start one with each container start.
"""

from __future__ import annotations

import os

from teu import fastjson
from teu.engine.db import Row
from teu.engine.paths import Paths
from teu.engine.procs import start_time

DEFAULT_INTERVAL = 30.0
DEFAULT_START_INTERVAL = 5.0
PREWARM = 5.0  # s: a check due this soon starts its process at once (monitor_script)
WAITING_NICE = 19  # a loop's priority until its container has started (spawn)


def check_of(settings: dict) -> dict | None:
    h = settings["Config"].get("Healthcheck") or {}
    test = h.get("Test") or []
    if not test or test[0] == "NONE":
        return None
    return h


def seconds(h: dict, key: str, default: float) -> float:
    v = h.get(key)
    return v / 1e9 if v else default


class Loop:
    """A spawned loop waiting for its container's start (go) or its end (cancel)."""

    def __init__(self, pid: int, fd: int, period: float, nice: int | None = None,
                 child: bool = True) -> None:
        self.pid = pid
        self._fd = fd
        self._period = period
        self._nice = nice  # the priority to give back at go(), if it was lowered
        self._child = child  # ours to kill and reap (spawn), or detached (restart)

    def record(self) -> str:
        """The row's health (State.Health) for a container this loop checks."""
        return fastjson.dumps({"Status": "starting", "FailingStreak": 0, "Log": [],
                               "MonitorPid": self.pid, "MonitorStart": start_time(self.pid)})

    def go(self, container_pid: int, started: float) -> None:
        """The container runs since `started` (boot clock): the checks count from then.
        Two copies of the line: one for the check started ahead, one for the loop."""
        end = int(started + self._period) + 1
        line = f"{container_pid} {started:.6f} {end}\n".encode()
        if self._nice is not None:
            try:  # the loop and its waiting check, in one call: they are its group
                os.setpriority(os.PRIO_PGRP, self.pid, self._nice)
            except OSError:
                pass  # gone already
        try:
            os.write(self._fd, line * 2)  # < PIPE_BUF: one atomic write
        except OSError:
            pass  # the loop is gone already (killed): nothing to tell it
        self._close()

    def cancel(self) -> None:
        """The container did not start: the loop and its waiting check end now (a
        detached one, soon: it reads EOF)."""
        self._close()
        if not self._child:
            return
        try:
            os.killpg(self.pid, 9)  # it leads its own group; our unreaped child: no reuse
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _check_command(paths: Paths, row: Row) -> str:
    from teu.engine.monitor.conmon import teu_command

    return " ".join(quote(a) for a in [*teu_command(paths), "healthcheck", "run", row["id"]])


def spawn(paths: Paths, row: Row) -> Loop | None:
    """The loop for a container about to start, waiting for go(); None without a check."""
    h = check_of(row.settings)
    if h is None:
        return None
    cmd = _check_command(paths, row)
    r, w = os.pipe2(os.O_CLOEXEC)  # the write end is ours alone: no child inherits it
    null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    # Until go(), the loop and its first check run at the lowest priority: their start
    # takes the CPU the launches leave, instead of slowing the launch it waits for (or a
    # sibling's). go() puts them back, which only root may do (CAP_SYS_NICE): rootless,
    # no change.
    nice = os.geteuid() == 0
    mine = os.getpriority(os.PRIO_PROCESS, 0) if nice else 0
    try:
        if nice:
            os.setpriority(os.PRIO_PROCESS, 0, WAITING_NICE)  # the child inherits it
        pid = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", monitor_script(h, cmd)],
                             dict(os.environ),
                             file_actions=[(os.POSIX_SPAWN_DUP2, r, 0),
                                           (os.POSIX_SPAWN_DUP2, null, 1),
                                           (os.POSIX_SPAWN_DUP2, null, 2)],
                             setsid=True)
    except BaseException:
        os.close(w)
        raise
    finally:
        if nice:
            os.setpriority(os.PRIO_PROCESS, 0, mine)
        os.close(r)
        os.close(null)
    return Loop(pid, w, seconds(h, "StartPeriod", 0), mine if nice else None)


# The loop is started by a short-lived sh that exits at once, so that it is nobody's
# child: the reader that restarts it may stay (a teu.api caller, the Engine API
# service) and would keep it as a zombie once it ends. $! is the loop's pid, which the
# sh prints before it exits. The loop leads no group of its own (no job control here):
# it is in the group of that sh's session (teardown.stop_health_loop kills its group).
_DETACHED = '/bin/sh -c "$1" <&3 3<&- >/dev/null 2>&1 & echo $!'


def restart(paths: Paths, row: Row) -> Loop | None:
    """A new loop for a running container whose loop is lost, waiting for go() as a
    spawned one does (a reader killed before it ends it: it starts no checks that its
    record does not name); None without a check. The caller holds the container's lock.
    Not this process's child; cancel() only closes its stdin (it ends on EOF)."""
    h = check_of(row.settings)
    if h is None:
        return None
    r, w = os.pipe2(os.O_CLOEXEC)
    out = into = null = -1
    try:
        out, into = os.pipe2(os.O_CLOEXEC)
        null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        sh = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", _DETACHED, "sh",
                                        monitor_script(h, _check_command(paths, row))],
                            dict(os.environ),
                            file_actions=[(os.POSIX_SPAWN_DUP2, null, 0),
                                          (os.POSIX_SPAWN_DUP2, into, 1),
                                          (os.POSIX_SPAWN_DUP2, null, 2),
                                          (os.POSIX_SPAWN_DUP2, r, 3)],
                            setsid=True)
        os.close(into)
        into = -1
        text = b""
        while chunk := os.read(out, 32):  # EOF: that sh has exited
            text += chunk
    except BaseException:
        os.close(w)
        raise
    finally:
        for fd in (r, out, into, null):
            if fd >= 0:
                os.close(fd)
    try:
        os.waitpid(sh, 0)
    except ChildProcessError:
        pass  # a caller's own SIGCHLD handler reaped it
    pid = int(text) if text.strip().isdigit() else 0
    return Loop(pid, w, seconds(h, "StartPeriod", 0), child=False)


def monitor_script(h: dict, cmd: str) -> str:
    """The loop's shell text. Docker's timing: a check every interval from the
    container's start; during the start period, while the container is still
    starting, every start interval instead (5 s unless set), so a service that is up
    in 200 ms is healthy soon, not an interval later. The start period is measured on
    the kernel's uptime clock (/proc/uptime, no process started for it). While
    starting, a check due within PREWARM seconds is started at once with `--wait`
    (see health.run_check): its Python start and imports overlap the wait (the first
    one, with --after-start, reads the go line and counts from the container's start),
    so the check runs when due, not a Python start later; it prints the status, and
    the loop goes on to plain `sleep; check` rounds once that is no longer `starting`."""
    interval = seconds(h, "Interval", DEFAULT_INTERVAL)
    period = seconds(h, "StartPeriod", 0)
    fast = min(seconds(h, "StartInterval", DEFAULT_START_INTERVAL), interval) \
        if period else interval
    alive = 'kill -0 "$pid" 2>/dev/null'
    started = "read pid t0 end || exit 0"  # the go line; EOF: the container never started

    def check(wait: float, first: bool = False) -> str:  # a check `wait` s on, status in $s
        if wait <= PREWARM:
            if first:
                return f"s=$({cmd} --wait {wait:g} --after-start 2>/dev/null); {started}"
            return f"s=$({cmd} --wait {wait:g} 2>/dev/null)"
        return (f"{started + '; ' if first else ''}sleep {wait:g}; {alive} || exit 0; "
                f"s=$({cmd} 2>/dev/null)")

    step = check(interval)
    if period:
        step = (f"read up _ </proc/uptime; if [ ${{up%.*}} -lt $end ]; then {check(fast)}; "
                f"else {step}; fi")
    return (f"{check(fast, first=True)}; "
            f'while [ "$s" = starting ] && {alive}; do {step}; done; '
            f"while {alive}; do sleep {interval:g}; {alive} || break; "
            f"{cmd} >/dev/null 2>&1; done")


def quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\"'\"'") + "'"
