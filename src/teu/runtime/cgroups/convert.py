"""Pure conversions between the spec's (cgroup v1 shaped) values and cgroup v2 files.

The runtime spec describes resources in v1 terms (shares, memory+swap, blkio
weight); v2 has other units. The formulas are the ones runc and crun use, so a
config gives the same limits whichever runtime runs it.
"""

from __future__ import annotations

from .fs import CgroupError


def shares_to_weight(shares: int) -> int:
    """cpu.shares (2..262144) to cpu.weight (1..10000), linear, both ends kept."""
    if shares <= 0:
        return 0  # unset
    shares = min(max(shares, 2), 262144)
    return 1 + ((shares - 2) * 9999) // 262142


def blkio_weight_to_io_weight(weight: int) -> int:
    """blkio.weight (10..1000) to io.weight (1..10000), linear."""
    if weight <= 0:
        return 0  # unset
    weight = min(max(weight, 10), 1000)
    return 1 + ((weight - 10) * 9999) // 990


def swap_v2(memory_swap: int, memory: int) -> int:
    """The spec's memory+swap limit as v2's memory.swap.max (swap alone).

    0 means unset and -1 unlimited, in and out. An unlimited memory with no swap
    given means both unlimited, as on v1.
    """
    if memory == -1 and memory_swap == 0:
        return -1
    if memory_swap in (-1, 0):
        return memory_swap
    if memory in (0, -1):
        raise CgroupError("cgroup: memory.swap needs memory.limit too on cgroup v2 "
                          f"(swap {memory_swap}, limit {memory})")
    if memory < 0:
        raise CgroupError(f"cgroup: invalid memory.limit {memory}")
    if memory_swap < memory:
        raise CgroupError(f"cgroup: memory.swap ({memory_swap}) is memory+swap and must be "
                          f">= memory.limit ({memory})")
    return memory_swap - memory


def max_or(value: int) -> str:
    """A v2 limit value: negative means "max"."""
    return "max" if value < 0 else str(value)


def cpu_max(quota: int | None, period: int | None, current: str) -> str:
    """cpu.max ("$QUOTA $PERIOD") with the parts the spec gives replacing `current`'s."""
    parts = current.split()
    cur_quota = parts[0] if parts else "max"
    cur_period = parts[1] if len(parts) > 1 else "100000"
    q = cur_quota if quota is None or quota == 0 else max_or(quota)
    p = cur_period if not period else str(period)
    return f"{q} {p}"


def hugepage_size(page_size: str) -> str:
    """The spec's pageSize ("2MB", "1GB", "64KB") as the kernel's file infix ("2MB")."""
    text = page_size.strip()
    units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30,
             "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "B": 1}
    number = text.rstrip("KMGIBkmgib")
    unit = text[len(number):].upper()
    if not number.isdigit() or unit not in units:
        raise CgroupError(f'cgroup: hugepage pageSize "{page_size}" is not like "2MB" or "1GB"')
    size = int(number) * units[unit]
    for suffix, mult in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size % mult == 0:
            return f"{size // mult}{suffix}"
    raise CgroupError(f'cgroup: hugepage pageSize "{page_size}" is not a whole KB')
