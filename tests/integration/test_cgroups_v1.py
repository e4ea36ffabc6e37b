"""cgroups on this host's real kernel: v1 controllers (plus the hybrid cgroup2 mount).

Each test makes /teu-test-<random>/ctr, starts its own children inside, and
removes everything (its processes by PID, its cgroups, any controller it had
to enable in the unified root) in the fixture's teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid

import pytest

from teu.runtime import cgroups
from teu.runtime.cgroups import CgroupError, base
from teu.runtime.cgroups.v1 import V1Manager

ROOT = "/sys/fs/cgroup"
UNIFIED_CONTROL = os.path.join(ROOT, "unified", "cgroup.subtree_control")

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(not os.path.isdir(os.path.join(ROOT, "memory")),
                       reason="needs v1 cgroup hierarchies (this test is for hybrid/v1 hosts)"),
]


class Ctr:
    """A test cgroup and the children a test started in it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.m = cgroups.manager_for(f"/{name}/ctr", "ctr")
        self.procs: list[subprocess.Popen] = []

    def run(self, *args: str, manager: cgroups.CgroupManager | None = None,
            **kw) -> subprocess.Popen:
        """Start a child that joins the cgroup before it execs (so all it does is counted)."""
        target = manager or self.m
        p = subprocess.Popen(list(args), preexec_fn=lambda: target.add(os.getpid()), **kw)
        self.procs.append(p)
        return p

    def cleanup(self) -> None:
        if self.m.exists() and self.m.can_freeze() and self.m.frozen():
            self.m.thaw()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        for directory in self.m.all_dirs.values():
            top = directory[: directory.index(self.name) + len(self.name)]
            if os.path.isdir(top):
                base.remove_tree(top)


def unified_controllers() -> set[str]:
    try:
        with open(UNIFIED_CONTROL) as f:
            return set(f.read().split())
    except FileNotFoundError:
        return set()


@pytest.fixture
def ctr():
    before = unified_controllers()
    c = Ctr(f"teu-test-{uuid.uuid4().hex[:10]}")
    try:
        yield c
    finally:
        c.cleanup()
        for name in unified_controllers() - before:  # undo only what the test turned on
            try:
                with open(UNIFIED_CONTROL, "w") as f:
                    f.write(f"-{name}")
            except OSError:
                pass


def read(m: V1Manager, controller: str, name: str) -> str:
    with open(os.path.join(m.all_dirs[controller], name)) as f:
        return f.read().strip()


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wait_for(predicate, timeout: float = 5.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_host_is_seen_as_it_is() -> None:
    kind = cgroups.detect()
    assert kind in ("v1", "hybrid")
    m = cgroups.manager_for("/teu-test-nothing/ctr", "ctr")
    assert isinstance(m, V1Manager) and not m.exists()
    assert (m.unified is not None) == (kind == "hybrid")


def a_block_device() -> tuple[int, int]:
    for name in sorted(os.listdir("/sys/block")):
        with open(f"/sys/block/{name}/dev") as f:
            major, minor = f.read().strip().split(":")
        return int(major), int(minor)
    pytest.skip("no block device")


def test_limits_are_written(ctr: Ctr) -> None:
    m = ctr.m
    major, minor = a_block_device()
    m.create()
    m.set({
        "memory": {"limit": 64 << 20, "swap": 128 << 20, "reservation": 32 << 20,
                   "swappiness": 10},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
        "pids": {"limit": 16},
        "blockIO": {"throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1 << 20}]},
    })
    assert read(m, "memory", "memory.limit_in_bytes") == str(64 << 20)
    assert read(m, "memory", "memory.memsw.limit_in_bytes") == str(128 << 20)
    assert read(m, "memory", "memory.soft_limit_in_bytes") == str(32 << 20)
    assert read(m, "memory", "memory.swappiness") == "10"
    assert read(m, "cpu", "cpu.shares") == "512"
    assert read(m, "cpu", "cpu.cfs_quota_us") == "50000"
    assert read(m, "cpu", "cpu.cfs_period_us") == "100000"
    assert (read(m, "cpuset", "cpuset.cpus"), read(m, "cpuset", "cpuset.mems")) == ("0", "0")
    assert read(m, "pids", "pids.max") == "16"
    assert f"{major}:{minor} 1048576" in read(m, "blkio", "blkio.throttle.read_bps_device")


def test_memory_can_be_raised_and_lowered(ctr: Ctr) -> None:
    m = ctr.m
    m.create()
    for limit, swap in ((64, 128), (256, 512), (32, 48), (-1, 0), (16, 16)):
        scale = 1 << 20 if limit > 0 else 1
        m.set({"memory": {"limit": limit * scale, "swap": swap * scale}})
    assert read(m, "memory", "memory.limit_in_bytes") == str(16 << 20)
    assert read(m, "memory", "memory.memsw.limit_in_bytes") == str(16 << 20)


def test_kernel_refusal_names_file_and_value(ctr: Ctr) -> None:
    ctr.m.create()
    with pytest.raises(CgroupError) as e:
        ctr.m.set({"cpu": {"cpus": "abc"}})
    assert str(e.value) == 'cgroup: writing "abc" to cpuset.cpus: Invalid argument'
    with pytest.raises(CgroupError, match="kernel keeps 2"):
        ctr.m.set({"cpu": {"shares": 1}})


def test_a_child_runs_in_the_cgroup_and_cpuset_is_usable(ctr: Ctr) -> None:
    ctr.m.create()
    p = ctr.run("sleep", "100")
    assert wait_for(lambda: ctr.m.pids() == [p.pid])
    with open(f"/proc/{p.pid}/cgroup") as f:
        lines = f.read().splitlines()
    assert f"pids:/{ctr.name}/ctr" in "\n".join(lines)


def test_freeze_and_thaw_stop_and_resume_a_busy_child(ctr: Ctr) -> None:
    m = ctr.m
    m.create()
    p = ctr.run("sh", "-c", "while :; do :; done")
    assert wait_for(lambda: cpu_ticks(p.pid) > 0)
    m.freeze()
    assert m.frozen()
    time.sleep(0.05)
    frozen_at = cpu_ticks(p.pid)
    time.sleep(0.3)
    assert cpu_ticks(p.pid) == frozen_at
    m.thaw()
    assert not m.frozen()
    assert wait_for(lambda: cpu_ticks(p.pid) > frozen_at)


def test_pids_are_recursive_and_destroy_removes_nested_cgroups(ctr: Ctr) -> None:
    m = ctr.m
    m.create()
    outer = ctr.run("sleep", "100")
    nested = cgroups.attach({k: os.path.join(v, "inner") for k, v in m.all_dirs.items()})
    nested.create()
    inner = ctr.run("sleep", "100", manager=nested)
    assert wait_for(lambda: m.pids() == sorted([outer.pid, inner.pid]))
    assert nested.pids() == [inner.pid]
    m.kill_all(signal.SIGKILL)
    for p in (outer, inner):
        assert p.wait(timeout=10) == -signal.SIGKILL
    assert wait_for(lambda: m.pids() == [])
    m.destroy()
    assert not m.exists()
    assert not any(os.path.exists(d) for d in m.all_dirs.values())


def test_kill_all_reaches_forked_children(ctr: Ctr) -> None:
    m = ctr.m
    m.create()
    sh = ctr.run("sh", "-c", "sleep 100 & sleep 100 & sleep 100 & wait")
    assert wait_for(lambda: len(m.pids()) == 4)
    m.kill_all(signal.SIGKILL)
    assert sh.wait(timeout=10) == -signal.SIGKILL
    assert wait_for(lambda: m.pids() == [])
    assert not m.frozen()


def test_kill_all_with_another_signal_keeps_a_paused_container_paused(ctr: Ctr) -> None:
    m = ctr.m
    m.create()
    p = ctr.run("sleep", "100")
    assert wait_for(lambda: m.pids() == [p.pid])
    m.freeze()
    m.kill_all(signal.SIGTERM)
    assert m.frozen() and p.poll() is None  # frozen: the signal waits
    m.thaw()
    assert p.wait(timeout=10) == -signal.SIGTERM


def test_stats(ctr: Ctr) -> None:
    m = ctr.m
    m.create()
    m.set({"memory": {"limit": 256 << 20}, "pids": {"limit": 10}})
    # Busy for a while, touch some memory, then stay (exec: one process).
    p = ctr.run("sh", "-c", "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; "
                "x=$(head -c 2000000 /dev/zero | tr '\\0' a); exec sleep 100")
    assert wait_for(lambda: os.readlink(f"/proc/{p.pid}/exe").endswith("sleep"))
    s = m.stats()
    assert s["cpu"]["usage"]["total"] > 0 and s["cpu"]["usage"]["user"] > 0
    assert len(s["cpu"]["usage"]["percpu"]) == os.cpu_count()
    assert s["memory"]["usage"]["limit"] == 256 << 20
    assert s["memory"]["usage"]["max"] > 0
    assert s["pids"] == {"current": 1, "limit": 10}
    assert isinstance(s["blkio"]["ioServiceBytesRecursive"], list)


def test_devices_are_enforced(ctr: Ctr) -> None:
    m = ctr.m
    m.create()
    m.set({"devices": [{"allow": False, "access": "rwm"},
                       {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]})
    assert read(m, "devices", "devices.list") == "c 1:3 rwm"
    p = ctr.run("sh", "-c", "echo x > /dev/null && echo null-ok; "
                "head -c1 /dev/zero > /dev/null 2>&1 || echo zero-denied",
                stdout=subprocess.PIPE, text=True)
    out, _ = p.communicate(timeout=10)
    assert out.split() == ["null-ok", "zero-denied"]


def test_hugetlb_limits_go_to_the_unified_mount(ctr: Ctr) -> None:
    m = ctr.m
    if cgroups.detect() != "hybrid" or "hugetlb" in m.dirs:
        pytest.skip("for hybrid hosts whose hugetlb is only in cgroup2")
    m.create()
    m.set({"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]})
    assert read(m, "unified", "hugetlb.2MB.max") == str(4 << 20)
    assert "2MB" in m.stats()["hugetlb"]


def test_missing_hierarchies_are_errors_only_when_asked(ctr: Ctr) -> None:
    m = ctr.m
    m.create()
    m.set({"network": {}, "blockIO": {}})
    with pytest.raises(CgroupError, match="net_cls controller, which is not mounted"):
        m.set({"network": {"classID": 0x100001}})
    with pytest.raises(CgroupError, match="blkio.leaf_weight"):
        m.set({"blockIO": {"leafWeight": 100}})


def test_kernel_memory_is_ignored_with_a_warning(ctr: Ctr) -> None:
    ctr.m.create()
    ctr.m.set({"memory": {"kernel": 1 << 20}})
    assert ctr.m.warnings and "memory.kernel" in ctr.m.warnings[0]


def test_destroy_reports_live_processes(ctr: Ctr, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "REMOVE_TIMEOUT", 0.2)
    m = ctr.m
    m.create()
    p = ctr.run("sleep", "100")
    assert wait_for(lambda: m.pids() == [p.pid])
    with pytest.raises(CgroupError, match=f"processes still inside: \\[{p.pid}\\]"):
        m.destroy()
    m.kill_all()
    p.wait(timeout=10)
    m.destroy()
    assert not m.exists()


def test_attach_rebuilds_the_manager(ctr: Ctr) -> None:
    ctr.m.create()
    again = cgroups.attach(ctr.m.all_dirs)
    assert again.path == f"/{ctr.name}/ctr" and again.exists()
    with pytest.raises(CgroupError, match="refusing"):
        cgroups.attach({"memory": os.path.join(ROOT, "memory")})


def test_relative_path_is_below_our_own_cgroup(ctr: Ctr) -> None:
    m = cgroups.manager_for(f"{ctr.name}/rel", "rel")
    with open("/proc/self/cgroup") as f:
        own_memory = next(line.split(":", 2)[2] for line in f.read().splitlines()
                          if line.split(":")[1] == "memory")
    assert m.all_dirs["memory"] == os.path.normpath(
        f"{ROOT}/memory/{own_memory}/{ctr.name}/rel")
    m.create()
    try:
        assert m.exists()
    finally:
        m.destroy()
        for directory in m.all_dirs.values():
            os.rmdir(os.path.dirname(directory))


def test_a_hierarchy_root_is_never_removed() -> None:
    with pytest.raises(CgroupError, match="mount root"):
        base.remove_tree(os.path.join(ROOT, "pids"))
