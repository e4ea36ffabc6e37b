"""Process helpers the integration tests share: find what is left of a test (by a private
directory on its command line) and kill it; wait for a condition."""

from __future__ import annotations

import os
import signal
import time


def pids_mentioning(text: str) -> list[int]:
    """Processes whose command line names `text` (our private directory), never ourselves."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry))
    return found


def kill_pids(pids: list[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def wait_until(check, timeout: float = 10.0, what: str = "condition") -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (its children, theirs, ...)."""
    from teu.bench import procs

    return procs.descendants([pid], procs.table())


def command_line(pid: int) -> str:
    """The process's argv joined by spaces ("" once it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace").replace("\0", " ").strip()
    except OSError:
        return ""


def pids_with_env(entry: str) -> list[int]:
    """Live processes whose environment holds `entry` (e.g. TEU_ROOT=<a test's root>:
    a teu of that test and everything it forked, but not the containers, whose
    environment is their image's)."""
    found = []
    me = os.getpid()
    want = entry.encode() + b"\0"
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read()
            with open(f"/proc/{name}/stat") as f:
                zombie = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if not zombie and (env.startswith(want) or b"\0" + want in env):
            found.append(int(name))
    return found
