"""Health checks without a daemon: a shell loop beside the container runs the check."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.integration.engine_helpers import IMAGE, pids_mentioning, private_teu, wait_until

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def status(teu, name: str) -> str:  # noqa: ANN001
    return teu.inspect(name)["State"].get("Health", {}).get("Status", "none")


def test_health_goes_unhealthy_then_healthy(teu) -> None:
    teu.ok("run", "-d", "--name", "hc", "--health-cmd", "test -f /tmp/ok",
           "--health-interval", "200ms", "--health-retries", "2", IMAGE, "sleep", "60")
    assert status(teu, "hc") == "starting"
    wait_until(lambda: status(teu, "hc") == "unhealthy", 15, "unhealthy")
    assert "(unhealthy)" in teu.ok("ps")
    teu.ok("exec", "hc", "touch", "/tmp/ok")
    wait_until(lambda: status(teu, "hc") == "healthy", 15, "healthy")
    health = teu.inspect("hc")["State"]["Health"]
    assert health["FailingStreak"] == 0 and health["Log"][-1]["ExitCode"] == 0
    assert len(health["Log"]) <= 5 and "MonitorPid" not in health
    assert teu("ps", "--filter", "health=healthy", "-q").stdout.strip()
    assert teu.ok("healthcheck", "run", "hc") == "healthy\n"
    teu.ok("stop", "-t", "0", "hc")
    wait_until(lambda: not [p for p in pids_mentioning("healthcheck")
                            if str(teu.top) in open(f"/proc/{p}/cmdline").read()], 5,
               "the loop to end")


def test_timeout_and_no_healthcheck(teu) -> None:
    teu.ok("run", "-d", "--name", "slow", "--health-cmd", "sleep 5", "--health-timeout",
           "300ms", "--health-interval", "200ms", "--health-retries", "1", IMAGE, "sleep", "60")
    wait_until(lambda: status(teu, "slow") == "unhealthy", 15, "timeout to count")
    log = teu.inspect("slow")["State"]["Health"]["Log"][-1]
    # dockerd 20.10's words, its duration as Go prints it (seen from it here)
    assert log["ExitCode"] == -1 and log["Output"] == "Health check exceeded timeout (300ms)"
    # A check past its timeout is killed (podman's SIGKILL): one at a time runs, none is
    # left behind (they piled up, one a check, before).
    wait_until(lambda: len(teu.inspect("slow")["State"]["Health"]["Log"]) >= 2, 15,
               "two timed-out checks")
    assert teu.ok("top", "slow").count("sleep 5") <= 1
    teu.ok("run", "-d", "--name", "none", "--no-healthcheck", IMAGE, "sleep", "60")
    assert "Health" not in teu.inspect("none")["State"]
    p = teu("healthcheck", "run", "none")
    assert p.returncode == 1 and "no health check" in p.stderr


def test_start_interval_checks_often_while_starting(teu) -> None:
    # An interval of an hour: only the start interval's checks can make it healthy.
    teu.ok("run", "-d", "--name", "quick", "--health-cmd", "test -f /tmp/ok",
           "--health-interval", "1h", "--health-start-period", "60s",
           "--health-start-interval", "100ms", IMAGE, "sh", "-c",
           "sleep 0.5; touch /tmp/ok; exec sleep 60")
    assert teu.inspect("quick")["Config"]["Healthcheck"]["StartInterval"] == 100_000_000
    wait_until(lambda: status(teu, "quick") == "healthy", 20, "healthy in the start period")
    # Failures inside the start period do not count.
    assert teu.inspect("quick")["State"]["Health"]["FailingStreak"] == 0
    teu.ok("rm", "-f", "quick")


def _recorded(teu, cid: str) -> dict:  # noqa: ANN001
    """The row's health as it is, read without a reader (which would restart a loop), with
    the loop it names (inspect leaves MonitorPid out, as docker has none)."""
    import json
    import sqlite3

    c = sqlite3.connect(teu.root / "teu.db")
    try:
        (health,) = c.execute("SELECT health FROM containers WHERE id=?", (cid,)).fetchone()
    finally:
        c.close()
    return json.loads(health) if health else {}


def _recorded_loop(teu, cid: str) -> int:  # noqa: ANN001
    return _recorded(teu, cid).get("MonitorPid", 0)


def _loops(teu, cid: str) -> list[int]:  # noqa: ANN001
    """The container's health-check loops: the `sh`s whose script runs its checks."""
    from tests.integration.proc_helpers import command_line

    return [p for p in pids_mentioning(f"healthcheck' 'run' '{cid}")
            if command_line(p).startswith("/bin/sh -c ") and str(teu.root) in command_line(p)]


def _kill_loop(teu, cid: str) -> int:  # noqa: ANN001
    """kill -9 of the container's loop and whatever of it runs (its group); its pid."""
    import os

    (loop,) = _loops(teu, cid)
    assert loop == _recorded_loop(teu, cid)
    os.killpg(os.getpgid(loop), 9)
    wait_until(lambda: not [p for p in pids_mentioning(cid) if "healthcheck" in
                            open(f"/proc/{p}/cmdline").read()], 15, "the killed loop to go")
    return loop


def test_a_killed_health_loop_is_restarted_by_the_next_reader(teu) -> None:
    """A running container whose loop died (kill -9 here) gets a new one from the next
    reader (ps, inspect...), and its health goes on being checked (before, it stayed at
    its last result until the next start)."""
    cid = teu.ok("run", "-d", "--name", "lost", "--health-cmd", "true",
                 "--health-interval", "200ms", IMAGE, "sleep", "60").strip()
    wait_until(lambda: status(teu, "lost") == "healthy", 15, "healthy")
    old = _kill_loop(teu, cid)
    last = _recorded(teu, cid)["Log"][-1]["End"]
    assert "(healthy)" in teu.ok("ps")  # the reader: it restarts the loop
    (loop,) = _loops(teu, cid)
    assert loop != old and loop == _recorded_loop(teu, cid)
    wait_until(lambda: [e for e in teu.inspect("lost")["State"]["Health"]["Log"]
                        if e["End"] > last][1:], 15, "two checks by the new loop")
    assert status(teu, "lost") == "healthy"
    # Killed again, and restarted by a reader that stays (a teu.api caller): the loop is
    # not its child (a zombie it would keep once the loop ends).
    again = _kill_loop(teu, cid)
    p = subprocess.run([sys.executable, "-c", _STAYING_READER, cid], env=teu.env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.split() == ["running", "no-child"], p.stderr
    (loop,) = _loops(teu, cid)
    assert loop not in (old, again) and loop == _recorded_loop(teu, cid)
    # A reader that cannot start a process now still reads (a warning, no traceback).
    _kill_loop(teu, cid)
    p = subprocess.run([sys.executable, "-c", _READER_WITHOUT_PROCESSES, cid], env=teu.env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.split() == ["running"], p.stderr
    assert "health-check loop" in p.stderr and "Traceback" not in p.stderr
    assert not _loops(teu, cid)
    teu.ok("inspect", "lost")  # the next reader that can does it
    assert len(_loops(teu, cid)) == 1
    teu.ok("rm", "-f", "lost")
    wait_until(lambda: not _loops(teu, cid), 5, "the new loop to end with its container")


_READER_WITHOUT_PROCESSES = """
import errno, os, sys
from teu.engine import state
from teu.engine.context import Engine

def refused(*_args, **_kw):  # as fork fails at the process limit
    raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

os.posix_spawn = refused
engine = Engine()
print(state.refresh(engine, engine.find(sys.argv[1]))["status"])
"""


_STAYING_READER = """
import os, sys
from teu.engine import state
from teu.engine.context import Engine

engine = Engine()
print(state.refresh(engine, engine.find(sys.argv[1]))["status"])
try:
    os.waitpid(-1, os.WNOHANG)
    print("a-child")
except ChildProcessError:
    print("no-child")
"""


def test_two_readers_of_a_lost_health_loop_start_one(teu) -> None:
    """Readers that see the same lost loop at once restart it under the container's lock:
    the first starts a loop, the second finds it and starts none. The new loop is
    nobody's child (not the reader's) and goes with its container, its `sleep` too."""
    import fcntl
    import os

    cid = teu.ok("run", "-d", "--name", "twice", "--health-cmd", "true",
                 "--health-interval", "1h", IMAGE, "sleep", "60").strip()
    _kill_loop(teu, cid)
    (teu.runroot / "locks").mkdir(mode=0o700, exist_ok=True)
    lock = os.open(teu.runroot / "locks" / cid, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # both readers see the lost loop, then wait here
        readers = [subprocess.Popen(teu.cmd(*verb), env=teu.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                   for verb in (["inspect", cid], ["ps", "-q", "--filter", f"id={cid}"])]
        inode = os.fstat(lock).st_ino
        wait_until(lambda: _waiting_on(inode) == 2, 30, "both readers at the lock")
    finally:
        os.close(lock)
    for r in readers:
        assert r.wait(timeout=30) == 0, r.stderr.read()
    (loop,) = _loops(teu, cid)
    assert loop == _recorded_loop(teu, cid)
    group = os.getpgid(loop)
    wait_until(lambda: len(_in_group(group)) > 1, 15, "the new loop's `sleep 3600`")
    teu.ok("rm", "-f", "twice")
    wait_until(lambda: not _in_group(group), 15, "the loop's group to go")


def _in_group(pgid: int) -> list[int]:
    """The processes of a process group (/proc/PID/stat's pgrp)."""
    import os

    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[2]) == pgid:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _waiting_on(inode: int) -> int:
    """How many flocks wait for the lock on that file (/proc/locks' `->` lines)."""
    with open("/proc/locks") as f:
        return sum(1 for line in f if "->" in line
                   and line.split()[6].rsplit(":", 1)[-1] == str(inode))
