"""Process helpers the integration tests share for their cleanup: find what is left of a
test (by a private directory on its command line) and kill it."""

from __future__ import annotations

import os
import signal


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
