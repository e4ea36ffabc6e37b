"""linux.resources onto v2 files. Only what the spec gives is written (set() is also update).

The spec speaks v1; convert.py maps its values (shares, memory+swap, blkio
weight) to v2's. Knobs v2 lacks are errors when they would change behaviour
(realtime, leaf weights, net_cls) and warnings when the spec itself deprecates
them or v2 handles it otherwise (kernel memory, swappiness, disableOOMKiller).
"""

from __future__ import annotations

from . import fs
from .convert import (
    blkio_weight_to_io_weight,
    cpu_max,
    hugepage_size,
    max_or,
    shares_to_weight,
    swap_v2,
)
from .fs import CgroupError
from .spec import device_line, flag, items, num, section, text

TYPE_CHECKING = False  # not typing's: see __init__.py
if TYPE_CHECKING:
    from .v2 import V2Manager


def apply(m: V2Manager, r: dict) -> None:
    m.enable(needed_controllers(r))
    cpu = section(r, "cpu")
    _cpuset(m, cpu)
    _cpu(m, cpu)
    _memory(m, section(r, "memory"))
    _pids(m, section(r, "pids"))
    _io(m, section(r, "blockIO"))
    _hugetlb(m, items(r, "hugepageLimits"))
    _rdma(m, r.get("rdma"))
    _network(section(r, "network"))
    if r.get("devices") is not None:
        _devices(m, items(r, "devices"))
    if r.get("unified"):
        _unified(m, r["unified"])


def needed_controllers(r: dict) -> set[str]:
    """The controllers the resources need enabled in the parents."""
    need: set[str] = set()
    cpu = section(r, "cpu")
    if any(cpu.get(k) is not None for k in ("shares", "quota", "period", "burst", "idle")):
        need.add("cpu")
    if cpu.get("cpus") or cpu.get("mems"):
        need.add("cpuset")
    if section(r, "memory"):
        need.add("memory")
    if section(r, "pids").get("limit"):
        need.add("pids")
    if section(r, "blockIO"):
        need.add("io")
    if r.get("hugepageLimits"):
        need.add("hugetlb")
    if r.get("rdma"):
        need.add("rdma")
    for key in r.get("unified") or {}:
        controller = str(key).split(".", 1)[0]
        if controller != "cgroup":  # cgroup.* core files need no controller
            need.add(controller)
    return need


def _cpuset(m: V2Manager, cpu: dict) -> None:
    for key in ("cpus", "mems"):
        value = text(cpu, key, "cpu")
        if value:
            fs.write(m.dir, f"cpuset.{key}", value)


def _cpu(m: V2Manager, cpu: dict) -> None:
    if num(cpu, "realtimeRuntime", "cpu") or num(cpu, "realtimePeriod", "cpu"):
        raise CgroupError("cgroup: cpu.realtimeRuntime/realtimePeriod are not supported "
                          "on cgroup v2 (the kernel has no realtime group scheduling there)")
    shares = num(cpu, "shares", "cpu")
    if shares:
        fs.write(m.dir, "cpu.weight", shares_to_weight(shares))
    quota, period = num(cpu, "quota", "cpu"), num(cpu, "period", "cpu")
    if quota or period:
        fs.write(m.dir, "cpu.max", cpu_max(quota, period, fs.read_or(m.dir, "cpu.max")))
    burst = num(cpu, "burst", "cpu")
    if burst is not None:
        fs.write(m.dir, "cpu.max.burst", burst)
    idle = num(cpu, "idle", "cpu")
    if idle is not None:
        fs.write(m.dir, "cpu.idle", idle)


def _memory(m: V2Manager, mem: dict) -> None:
    if not mem:
        return
    limit, swap = num(mem, "limit", "memory") or 0, num(mem, "swap", "memory") or 0
    if flag(mem, "checkBeforeUpdate", "memory") and limit > 0:
        usage = fs.read_int(m.dir, "memory.current")
        if usage > limit:
            raise CgroupError(f"cgroup: memory.limit {limit} is below the current usage {usage}")
    swap_max = swap_v2(swap, limit)
    if swap_max:
        if not fs.exists(m.dir, "memory.swap.max"):
            if swap_max > 0:
                raise CgroupError("cgroup: memory.swap needs swap accounting, which this "
                                  "kernel has off (memory.swap.max is missing)")
        else:
            fs.write(m.dir, "memory.swap.max", max_or(swap_max))
    if limit:
        fs.write(m.dir, "memory.max", max_or(limit))
    reservation = num(mem, "reservation", "memory")
    if reservation:
        fs.write(m.dir, "memory.low", max_or(reservation))
    _memory_v1_only(m, mem)


def _memory_v1_only(m: V2Manager, mem: dict) -> None:
    """Knobs v2 does not have; none of them limits anything, so warn and go on."""
    if num(mem, "kernel", "memory"):
        m.warnings.append("memory.kernel is ignored: cgroup v2 counts kernel memory in "
                          "memory.max")
    if num(mem, "kernelTCP", "memory"):
        m.warnings.append("memory.kernelTCP is ignored: cgroup v2 counts socket memory in "
                          "memory.max")
    if num(mem, "swappiness", "memory") is not None:
        m.warnings.append("memory.swappiness is ignored: cgroup v2 has no per-cgroup "
                          "swappiness")
    if flag(mem, "disableOOMKiller", "memory"):
        m.warnings.append("memory.disableOOMKiller is ignored: cgroup v2 cannot disable the "
                          "OOM killer")


def _pids(m: V2Manager, pids: dict) -> None:
    limit = num(pids, "limit", "pids")
    if limit:
        fs.write(m.dir, "pids.max", max_or(limit))


def _io(m: V2Manager, bio: dict) -> None:
    if not bio:
        return
    if num(bio, "leafWeight", "blockIO") or any(
            e.get("leafWeight") for e in items(bio, "weightDevice", "blockIO")):
        raise CgroupError("cgroup: blockIO leafWeight is not supported on cgroup v2")
    # BFQ takes the spec's 10..1000 as is; io.weight wants 1..10000.
    bfq = fs.exists(m.dir, "io.bfq.weight")
    weight = num(bio, "weight", "blockIO")
    if weight:
        if bfq:
            fs.write(m.dir, "io.bfq.weight", weight)
        else:
            fs.write(m.dir, "io.weight", f"default {blkio_weight_to_io_weight(weight)}")
    for entry in items(bio, "weightDevice", "blockIO"):
        major, minor, w = device_line(entry, "weight", "blockIO.weightDevice")
        if bfq:
            fs.write(m.dir, "io.bfq.weight", f"{major}:{minor} {w}")
        else:
            fs.write(m.dir, "io.weight", f"{major}:{minor} {blkio_weight_to_io_weight(w)}")
    for key, word in _IO_MAX_KEYS.items():
        for entry in items(bio, key, "blockIO"):
            major, minor, rate = device_line(entry, "rate", f"blockIO.{key}")
            # io.max: 0 in the spec means "no limit", which v2 spells "max".
            fs.write(m.dir, "io.max", f"{major}:{minor} {word}={rate or 'max'}")


_IO_MAX_KEYS = {
    "throttleReadBpsDevice": "rbps",
    "throttleWriteBpsDevice": "wbps",
    "throttleReadIOPSDevice": "riops",
    "throttleWriteIOPSDevice": "wiops",
}


def _hugetlb(m: V2Manager, limits: list[dict]) -> None:
    for entry in limits:
        size = hugepage_size(text(entry, "pageSize", "hugepageLimits") or "")
        limit = num(entry, "limit", "hugepageLimits")
        if limit is None:
            raise CgroupError("cgroup: hugepageLimits entries need a limit")
        name = f"hugetlb.{size}.max"
        if not fs.exists(m.dir, name):
            raise CgroupError(f"cgroup: hugepageLimits {size}: this kernel has no {name}")
        fs.write(m.dir, name, max_or(limit))


def rdma_lines(rdma: object) -> list[str]:
    """The spec's rdma {device: {hcaHandles, hcaObjects}} as rdma.max lines."""
    if not isinstance(rdma, dict):
        raise CgroupError("cgroup: linux.resources.rdma must be an object")
    lines = []
    for device, limits in rdma.items():
        if not isinstance(limits, dict):
            raise CgroupError(f"cgroup: rdma.{device} must be an object")
        handles = num(limits, "hcaHandles", f"rdma.{device}")
        objects = num(limits, "hcaObjects", f"rdma.{device}")
        parts = [device]
        if handles is not None:
            parts.append(f"hca_handle={handles}")
        if objects is not None:
            parts.append(f"hca_object={objects}")
        if len(parts) > 1:
            lines.append(" ".join(parts))
    return lines


def _rdma(m: V2Manager, rdma: object) -> None:
    if rdma:
        for line in rdma_lines(rdma):
            fs.write(m.dir, "rdma.max", line)


def _network(net: dict) -> None:
    if net.get("classID") is not None or net.get("priorities"):
        raise CgroupError("cgroup: linux.resources.network (net_cls/net_prio) has no "
                          "cgroup v2 equivalent; use nftables socket cgroupv2 matching instead")


def _devices(m: V2Manager, entries: list[dict]) -> None:
    from . import bpf, devices

    rules = [devices.normalize(e) for e in entries]
    # An eBPF program replaces the previous one whole, so the rules apply to a
    # fresh allow-all state, as they do on a new v1 cgroup.
    bpf.install(m.dir, devices.emulate(rules))


def _unified(m: V2Manager, unified: object) -> None:
    if not isinstance(unified, dict):
        raise CgroupError("cgroup: linux.resources.unified must be an object of strings")
    for key, value in unified.items():
        if not isinstance(key, str) or not key or "/" in key or key.startswith("."):
            raise CgroupError(f"cgroup: unified key {key!r} is not a cgroup file name")
        if not isinstance(value, str):
            raise CgroupError(f"cgroup: unified.{key} must be a string, not {value!r}")
        if not fs.exists(m.dir, key):
            raise CgroupError(f"cgroup: unified.{key}: no such file in {m.path} "
                              f"(is the {key.split('.', 1)[0]} controller enabled?)")
        fs.write(m.dir, key, value)
