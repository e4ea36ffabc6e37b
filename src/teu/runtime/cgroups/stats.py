"""The shape of stats(): runc's `events --stats` data, so its readers can read ours.

Every key is always there (zero when unknown); times are nanoseconds, sizes
bytes. "swap" is memory+swap, as v1 reports it, on v2 too.
"""

from __future__ import annotations

UNLIMITED = 2**64 - 1  # how runc reports a v2 "max" memory limit


def empty() -> dict:
    return {
        "cpu": {
            "usage": {"total": 0, "percpu": [], "percpu_kernel": [], "percpu_user": [],
                      "kernel": 0, "user": 0},
            "throttling": {"periods": 0, "throttledPeriods": 0, "throttledTime": 0},
        },
        "memory": {"cache": 0, "usage": _entry(), "swap": _entry(), "kernel": _entry(),
                   "kernelTCP": _entry(), "raw": {}},
        "pids": {"current": 0, "limit": 0},
        "blkio": {"ioServiceBytesRecursive": [], "ioServicedRecursive": []},
        "hugetlb": {},
    }


def _entry() -> dict:
    return {"limit": 0, "usage": 0, "max": 0, "failcnt": 0}


def blkio_entry(major: int, minor: int, op: str, value: int) -> dict:
    return {"major": major, "minor": minor, "op": op, "value": value}
