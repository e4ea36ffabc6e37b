"""Is a recorded process still that process? A pid with its start time (from
/proc/PID/stat) names one process for good: a pid reused by another has another
start time. The lowest piece of the engine: state, teardown and monitors use it.
"""

from __future__ import annotations


def start_time(pid: int) -> int | None:
    from teu.runtime.state import process_start_time

    return process_start_time(pid) if pid > 0 else None


def alive(pid: int, started: int | None) -> bool:
    return pid > 0 and started is not None and start_time(pid) == started
