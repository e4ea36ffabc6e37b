"""linux.resources onto v1 files. Only what the spec gives is written (set() is also update).

A missing controller or file is an error only when the spec asks for it: this
host, for one, has no hugetlb, net_cls or net_prio hierarchy and no blkio.weight.
"""

from __future__ import annotations

from . import devices, fs
from .convert import hugepage_size
from .fs import CgroupError
from .spec import device_line, flag, items, num, section, text

TYPE_CHECKING = False  # not typing's: see __init__.py
if TYPE_CHECKING:
    from .v1 import V1Manager



def apply(m: V1Manager, r: dict) -> None:
    cpu = section(r, "cpu")
    _cpuset(m, cpu)
    _cpu(m, cpu)
    _memory(m, section(r, "memory"))
    _pids(m, section(r, "pids"))
    _blkio(m, section(r, "blockIO"))
    _hugetlb(m, items(r, "hugepageLimits"))
    _network(m, section(r, "network"))
    _rdma(m, r.get("rdma"))
    if r.get("devices") is not None:
        _devices(m, items(r, "devices"))
    if r.get("unified"):
        _unified(m, r["unified"])


def _dir(m: V1Manager, controller: str, what: str) -> str:
    directory = m.dirs.get(controller)
    if directory is None:
        raise CgroupError(f"cgroup: {what} needs the {controller} controller, which is not "
                          "mounted on this host")
    return directory


def _file(directory: str, name: str, what: str) -> None:
    if not fs.exists(directory, name):
        raise CgroupError(f"cgroup: {what} needs {name}, which this kernel does not have")


def _cpuset(m: V1Manager, cpu: dict) -> None:
    for key, name in (("cpus", "cpuset.cpus"), ("mems", "cpuset.mems")):
        value = text(cpu, key, "cpu")
        if value:
            fs.write(_dir(m, "cpuset", f"cpu.{key}"), name, value)


def _cpu(m: V1Manager, cpu: dict) -> None:
    shares = num(cpu, "shares", "cpu")
    quota, period = num(cpu, "quota", "cpu"), num(cpu, "period", "cpu")
    burst, idle = num(cpu, "burst", "cpu"), num(cpu, "idle", "cpu")
    rt_runtime = num(cpu, "realtimeRuntime", "cpu")
    rt_period = num(cpu, "realtimePeriod", "cpu")
    if not any((shares, quota, period, burst, rt_runtime, rt_period, idle is not None)):
        return
    d = _dir(m, "cpu", "cpu limits")
    if shares:
        _shares(d, shares)
    _pair(d, ("cpu.cfs_period_us", period), ("cpu.cfs_quota_us", quota))
    if burst is not None:
        _file(d, "cpu.cfs_burst_us", "cpu.burst")
        fs.write(d, "cpu.cfs_burst_us", burst)
    _pair(d, ("cpu.rt_period_us", rt_period), ("cpu.rt_runtime_us", rt_runtime))
    if idle is not None:
        _file(d, "cpu.idle", "cpu.idle")
        fs.write(d, "cpu.idle", idle)


def _shares(d: str, shares: int) -> None:
    fs.write(d, "cpu.shares", shares)
    # The kernel clamps silently to 2..262144; say so rather than run with another value.
    kept = fs.read_int(d, "cpu.shares")
    if kept != shares:
        raise CgroupError(f"cgroup: cpu.shares {shares} is out of range; the kernel "
                          f"keeps {kept} (allowed 2-262144)")


def _pair(d: str, period: tuple[str, int | None], amount: tuple[str, int | None]) -> None:
    """Write a period, then the amount per period.

    A period may be refused until the amount fits it (the ratio is checked
    against the parent): then write the amount first and the period again.
    """
    (pname, pvalue), (aname, avalue) = period, amount
    if pvalue:
        try:
            fs.write(d, pname, pvalue)
        except CgroupError:
            if not avalue:
                raise
            fs.write(d, aname, avalue)
            fs.write(d, pname, pvalue)
            return
    if avalue:
        fs.write(d, aname, avalue)


def _memory(m: V1Manager, mem: dict) -> None:
    if not mem:
        return
    d = _dir(m, "memory", "linux.resources.memory")
    limit, swap = num(mem, "limit", "memory") or 0, num(mem, "swap", "memory") or 0
    if flag(mem, "checkBeforeUpdate", "memory") and limit > 0:
        usage = fs.read_int(d, "memory.usage_in_bytes")
        if usage > limit:
            raise CgroupError(f"cgroup: memory.limit {limit} is below the current usage {usage}")
    _limit_and_swap(d, limit, swap)
    reservation = num(mem, "reservation", "memory")
    if reservation:
        fs.write(d, "memory.soft_limit_in_bytes", reservation)
    _memory_extras(m, d, mem)


def _limit_and_swap(d: str, limit: int, swap: int) -> None:
    """memory.limit_in_bytes and memory.memsw.limit_in_bytes, in an order the kernel takes.

    The kernel insists limit <= memsw at every moment: raising both means memsw
    first, lowering both means limit first.
    """
    if limit == -1 and swap == 0:
        swap = -1  # unlimited memory with swap unset: lift memsw too, or limit > memsw
    has_memsw = fs.exists(d, "memory.memsw.limit_in_bytes")
    if swap and not has_memsw:
        if swap > 0:
            raise CgroupError("cgroup: memory.swap needs swap accounting, which this kernel "
                              "has off (memory.memsw.limit_in_bytes is missing)")
        swap = 0  # unlimited is what we already have without accounting
    if limit and swap:
        current = fs.read_int(d, "memory.limit_in_bytes")
        if swap == -1 or current < swap:
            fs.write(d, "memory.memsw.limit_in_bytes", swap)
            fs.write(d, "memory.limit_in_bytes", limit)
        else:
            fs.write(d, "memory.limit_in_bytes", limit)
            fs.write(d, "memory.memsw.limit_in_bytes", swap)
    elif limit:
        fs.write(d, "memory.limit_in_bytes", limit)
    elif swap:
        fs.write(d, "memory.memsw.limit_in_bytes", swap)


def _memory_extras(m: V1Manager, d: str, mem: dict) -> None:
    if num(mem, "kernel", "memory"):
        # Linux 5.16+ accepts and ignores kmem limits; runc ignores them too.
        m.warnings.append("memory.kernel is ignored: kernel memory limits are deprecated "
                          "and have no effect on this kernel")
    kernel_tcp = num(mem, "kernelTCP", "memory")
    if kernel_tcp:
        _file(d, "memory.kmem.tcp.limit_in_bytes", "memory.kernelTCP")
        fs.write(d, "memory.kmem.tcp.limit_in_bytes", kernel_tcp)
    swappiness = num(mem, "swappiness", "memory")
    if swappiness is not None:
        if not 0 <= swappiness <= 100:
            raise CgroupError(f"cgroup: memory.swappiness {swappiness} is not in 0-100")
        fs.write(d, "memory.swappiness", swappiness)
    if flag(mem, "disableOOMKiller", "memory"):
        fs.write(d, "memory.oom_control", 1)
    use_hierarchy = flag(mem, "useHierarchy", "memory")
    if use_hierarchy is not None:
        fs.write(d, "memory.use_hierarchy", int(use_hierarchy))


def _pids(m: V1Manager, pids: dict) -> None:
    limit = num(pids, "limit", "pids")
    if limit:
        d = _dir(m, "pids", "pids.limit")
        fs.write(d, "pids.max", limit if limit > 0 else "max")


def _blkio(m: V1Manager, bio: dict) -> None:
    if not bio:
        return
    d = _dir(m, "blkio", "linux.resources.blockIO")
    # Without CFQ (gone since 5.0) the weights live in BFQ's files.
    prefix = "blkio." if fs.exists(d, "blkio.weight") else "blkio.bfq."
    weight = num(bio, "weight", "blockIO")
    if weight:
        _file(d, prefix + "weight", "blockIO.weight")
        fs.write(d, prefix + "weight", weight)
    leaf = num(bio, "leafWeight", "blockIO")
    if leaf:
        _file(d, "blkio.leaf_weight", "blockIO.leafWeight")
        fs.write(d, "blkio.leaf_weight", leaf)
    for entry in items(bio, "weightDevice", "blockIO"):
        _weight_device(d, prefix, entry)
    for key, name in _THROTTLE_FILES.items():
        for entry in items(bio, key, "blockIO"):
            major, minor, rate = device_line(entry, "rate", f"blockIO.{key}")
            fs.write(d, name, f"{major}:{minor} {rate}")


_THROTTLE_FILES = {
    "throttleReadBpsDevice": "blkio.throttle.read_bps_device",
    "throttleWriteBpsDevice": "blkio.throttle.write_bps_device",
    "throttleReadIOPSDevice": "blkio.throttle.read_iops_device",
    "throttleWriteIOPSDevice": "blkio.throttle.write_iops_device",
}


def _weight_device(d: str, prefix: str, entry: dict) -> None:
    major, minor = num(entry, "major", "weightDevice"), num(entry, "minor", "weightDevice")
    if major is None or minor is None:
        raise CgroupError("cgroup: blockIO.weightDevice entries need major and minor")
    weight = num(entry, "weight", "weightDevice")
    if weight:
        _file(d, prefix + "weight_device", "blockIO.weightDevice")
        fs.write(d, prefix + "weight_device", f"{major}:{minor} {weight}")
    leaf = num(entry, "leafWeight", "weightDevice")
    if leaf:
        _file(d, "blkio.leaf_weight_device", "blockIO.weightDevice.leafWeight")
        fs.write(d, "blkio.leaf_weight_device", f"{major}:{minor} {leaf}")


def _hugetlb(m: V1Manager, limits: list[dict]) -> None:
    if not limits:
        return
    if "hugetlb" not in m.dirs and m.unified is not None:
        # Hybrid hosts may have hugetlb only in the cgroup2 mount (this one does).
        m.unified.set({"hugepageLimits": limits})
        return
    d = _dir(m, "hugetlb", "hugepageLimits")
    for entry in limits:
        size = hugepage_size(text(entry, "pageSize", "hugepageLimits") or "")
        limit = num(entry, "limit", "hugepageLimits")
        if limit is None:
            raise CgroupError("cgroup: hugepageLimits entries need a limit")
        name = f"hugetlb.{size}.limit_in_bytes"
        _file(d, name, f"hugepageLimits {size}")
        fs.write(d, name, limit)


def _network(m: V1Manager, net: dict) -> None:
    class_id = num(net, "classID", "network")
    if class_id is not None:
        fs.write(_dir(m, "net_cls", "network.classID"), "net_cls.classid", class_id)
    for entry in items(net, "priorities", "network"):
        name, prio = text(entry, "name", "priorities"), num(entry, "priority", "priorities")
        if not name or prio is None:
            raise CgroupError("cgroup: network.priorities entries need name and priority")
        fs.write(_dir(m, "net_prio", "network.priorities"), "net_prio.ifpriomap", f"{name} {prio}")


def _rdma(m: V1Manager, rdma: object) -> None:
    if not rdma:
        return
    from .v2_resources import rdma_lines

    d = _dir(m, "rdma", "linux.resources.rdma")
    for line in rdma_lines(rdma):
        fs.write(d, "rdma.max", line)


def _devices(m: V1Manager, entries: list[dict]) -> None:
    d = _dir(m, "devices", "linux.resources.devices")
    rules = [devices.normalize(e) for e in entries]
    current = devices.parse_v1_list(fs.read(d, "devices.list"))
    target = devices.emulate(rules, start=current)
    for name, line in devices.v1_writes(current, target):
        fs.write(d, name, line)


def _unified(m: V1Manager, unified: object) -> None:
    if m.unified is None:
        raise CgroupError("cgroup: invalid configuration: linux.resources.unified needs "
                          "cgroup v2, and this host has only v1 hierarchies")
    try:
        m.unified.set({"unified": unified})
    except CgroupError as e:
        # A hybrid host's cgroup2 mount holds only the controllers v1 does not: say that
        # the config asks for what this layout cannot give (runc's "invalid configuration").
        raise CgroupError(f"cgroup: invalid configuration: linux.resources.unified on a "
                          f"hybrid (v1 + cgroup2) host: {str(e).removeprefix('cgroup: ')}"
                          ) from None
