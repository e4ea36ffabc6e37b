"""A container's cgroup as the tests read it from the host, in either layout: v1 or hybrid
(one directory per controller, as on this machine) or unified v2 (a fresh Debian 12 with
systemd). Paths are cgroupfs paths (`/parent/id`), as containerd's cgroupfs driver and
teu-runtime's cgroupsPath give them."""

from __future__ import annotations

import os

from teu.testing import crinode

TOP = "/sys/fs/cgroup"
UNIFIED = os.path.exists(os.path.join(TOP, "cgroup.controllers"))


def _read(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def memory_limit(path: str) -> int:
    if UNIFIED:
        return int(_read(f"{TOP}{path}/memory.max"))
    return int(_read(f"{TOP}/memory{path}/memory.limit_in_bytes"))


def cpu_quota(path: str) -> int:
    if UNIFIED:
        return int(_read(f"{TOP}{path}/cpu.max").split()[0])
    return int(_read(f"{TOP}/cpu{path}/cpu.cfs_quota_us"))


def cpu_shares_as_set(path: str, shares: int) -> bool:
    """Whether cpu shares `shares` were applied (v2: as the weight runc converts them to)."""
    if UNIFIED:
        return int(_read(f"{TOP}{path}/cpu.weight")) == 1 + ((shares - 2) * 9999) // 262142
    return int(_read(f"{TOP}/cpu{path}/cpu.shares")) == shares


def frozen(path: str) -> bool:
    if UNIFIED:
        return _read(f"{TOP}{path}/cgroup.freeze") == "1"
    return _read(f"{TOP}/freezer{path}/freezer.state") == "FROZEN"


def exists(path: str) -> bool:
    return os.path.isdir(f"{TOP}{path}" if UNIFIED else f"{TOP}/memory{path}")


dirs_under = crinode.cgroup_dirs  # every cgroup directory at or below a parent
pids_under = crinode.cgroup_pids
