"""The v2 manager against a fake cgroupfs: a tmp tree with the files a v2 cgroup has.

This host is hybrid and cannot enable v2 controllers, so what v2 writes is
checked here; tests/integration/test_cgroups_v2.py runs what the unified mount
of this host does support (freezer, kill, eBPF devices) on the real kernel.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from teu.runtime import cgroups
from teu.runtime.cgroups import CgroupError, fs, v2
from teu.runtime.cgroups.v2 import V2Manager

CONTROLLERS = "cpuset cpu io memory hugetlb pids"

LEAF_FILES = {
    "cgroup.procs": "", "cgroup.freeze": "0", "cgroup.events": "populated 0\nfrozen 0\n",
    "cgroup.kill": "", "cgroup.subtree_control": "", "cgroup.max.depth": "max",
    "memory.max": "max", "memory.low": "0", "memory.high": "max", "memory.swap.max": "max",
    "memory.current": "4096", "memory.peak": "8192", "memory.swap.current": "0",
    "memory.events": "low 0\nhigh 0\nmax 3\noom 0\noom_kill 0\n",
    "memory.stat": "anon 100\nfile 2048\n",
    "cpu.weight": "100", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0",
    "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\n"
                "nr_throttled 1\nthrottled_usec 7\n",
    "cpuset.cpus": "", "cpuset.mems": "", "pids.max": "max", "pids.current": "2",
    "io.weight": "default 100", "io.max": "", "io.stat": "254:0 rbytes=4096 wbytes=8192 "
    "rios=1 wios=2 dbytes=0 dios=0\n",
    "hugetlb.2MB.max": "max", "hugetlb.2MB.current": "0", "hugetlb.2MB.events": "max 0\n",
}


def make_cgroup(directory: Path, controllers: str = CONTROLLERS, leaf: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cgroup.controllers").write_text(controllers + "\n")
    (directory / "cgroup.subtree_control").write_text("")
    (directory / "cgroup.procs").write_text("")
    if leaf:
        for name, text in LEAF_FILES.items():
            (directory / name).write_text(text)
    return directory


@pytest.fixture
def root(tmp_path: Path) -> Path:
    top = make_cgroup(tmp_path / "cgroup", leaf=False)
    make_cgroup(top / "teu", leaf=False)
    return top


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Every fs.write as (directory basename, file, value), still written to the tree."""
    seen: list[tuple[str, str, str]] = []
    real = fs.write

    def record(directory: str, name: str, value: object) -> None:
        seen.append((os.path.basename(directory), name, str(value)))
        real(directory, name, value)  # type: ignore[arg-type]

    monkeypatch.setattr(fs, "write", record)
    return seen


def manager(root: Path, path: str = "/teu/c1") -> V2Manager:
    make_cgroup(root / path.lstrip("/"))
    m = cgroups.manager_for(path, "c1", root=str(root))
    assert isinstance(m, V2Manager)
    return m


def read(m: V2Manager, name: str) -> str:
    return Path(m.dir, name).read_text()


def test_detect(tmp_path: Path, root: Path) -> None:
    assert cgroups.detect(str(root)) == "v2"
    hybrid = tmp_path / "hybrid"
    make_cgroup(hybrid / "unified", "hugetlb", leaf=False)
    assert cgroups.detect(str(hybrid)) == "hybrid"
    (tmp_path / "v1" / "memory").mkdir(parents=True)
    assert cgroups.detect(str(tmp_path / "v1")) == "v1"


def test_manager_for_paths(root: Path) -> None:
    m = manager(root)
    assert (m.path, m.dir) == ("/teu/c1", str(root / "teu" / "c1"))
    assert m.all_dirs == {"unified": str(root / "teu" / "c1")}
    default = cgroups.manager_for("", "abc", root=str(root))
    assert default.path == "/teu/abc"
    relative = cgroups.manager_for("x/y", "abc", root=str(root))  # own cgroup is "/" here
    assert relative.path == "/x/y"


def test_no_cgroupfs(tmp_path: Path) -> None:
    with pytest.raises(CgroupError, match="no cgroup filesystem"):
        cgroups.manager_for("", "abc", root=str(tmp_path))


def test_create_enables_all_offered_controllers(root: Path, writes: list) -> None:
    m = manager(root)
    m.create()
    enabled = [(d, v) for d, n, v in writes if n == "cgroup.subtree_control"]
    for parent in ("cgroup", "teu"):
        assert {v for d, v in enabled if d == parent} == {f"+{c}" for c in CONTROLLERS.split()}


def test_enable_skips_active_and_refuses_missing(root: Path, writes: list) -> None:
    (root / "cgroup.subtree_control").write_text("memory pids\n")
    m = manager(root)
    m.enable({"memory", "pids"})
    assert ("cgroup", "cgroup.subtree_control", "+memory") not in writes
    (root / "teu" / "cgroup.controllers").write_text("memory\n")
    with pytest.raises(CgroupError, match="pids controller is not available"):
        m.enable({"pids"})


def test_memory(root: Path) -> None:
    m = manager(root)
    m.set({"memory": {"limit": 100 << 20, "swap": 300 << 20, "reservation": 50 << 20}})
    assert read(m, "memory.max") == str(100 << 20)
    assert read(m, "memory.swap.max") == str(200 << 20)
    assert read(m, "memory.low") == str(50 << 20)
    m.set({"memory": {"limit": -1}})
    assert (read(m, "memory.max"), read(m, "memory.swap.max")) == ("max", "max")


def test_memory_check_before_update(root: Path) -> None:
    m = manager(root)
    with pytest.raises(CgroupError, match="below the current usage"):
        m.set({"memory": {"limit": 1000, "checkBeforeUpdate": True}})


def test_swap_without_accounting(root: Path) -> None:
    m = manager(root)
    os.unlink(os.path.join(m.dir, "memory.swap.max"))
    with pytest.raises(CgroupError, match="swap accounting"):
        m.set({"memory": {"limit": 100, "swap": 300}})
    m.set({"memory": {"limit": 100, "swap": -1}})  # unlimited: nothing to enforce
    assert read(m, "memory.max") == "100"


def test_memory_v1_only_knobs_warn(root: Path) -> None:
    m = manager(root)
    m.set({"memory": {"kernel": 1 << 20, "kernelTCP": 1 << 20, "swappiness": 10,
                      "disableOOMKiller": True}})
    assert len(m.warnings) == 4
    assert all("ignored" in w for w in m.warnings)


def test_cpu(root: Path) -> None:
    m = manager(root)
    m.set({"cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0-1",
                   "mems": "0", "burst": 1000, "idle": 1}})
    assert read(m, "cpu.weight") == "39"
    assert read(m, "cpu.max") == "50000 100000"
    assert (read(m, "cpuset.cpus"), read(m, "cpuset.mems")) == ("0-1", "0")
    assert (read(m, "cpu.max.burst"), read(m, "cpu.idle")) == ("1000", "1")
    m.set({"cpu": {"period": 200000}})  # an update keeps the quota
    assert read(m, "cpu.max") == "50000 200000"


def test_cpu_realtime_is_refused(root: Path) -> None:
    with pytest.raises(CgroupError, match="realtime"):
        manager(root).set({"cpu": {"realtimeRuntime": 1000}})


def test_pids(root: Path) -> None:
    m = manager(root)
    m.set({"pids": {"limit": 10}})
    assert read(m, "pids.max") == "10"
    m.set({"pids": {"limit": -1}})
    assert read(m, "pids.max") == "max"


def test_io(root: Path, writes: list) -> None:
    m = manager(root)
    m.set({"blockIO": {"weight": 500,
                       "weightDevice": [{"major": 8, "minor": 0, "weight": 1000}],
                       "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1 << 20}],
                       "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 0}]}})
    io = [v for _, n, v in writes if n.startswith("io.")]
    assert io == ["default 4950", "8:0 10000", "8:0 rbps=1048576", "8:0 wiops=max"]


def test_io_bfq_takes_the_weight_as_is(root: Path) -> None:
    m = manager(root)
    Path(m.dir, "io.bfq.weight").write_text("default 100")
    m.set({"blockIO": {"weight": 500}})
    assert read(m, "io.bfq.weight") == "500"


def test_io_leaf_weight_is_refused(root: Path) -> None:
    with pytest.raises(CgroupError, match="leafWeight"):
        manager(root).set({"blockIO": {"leafWeight": 500}})


def test_hugetlb(root: Path) -> None:
    m = manager(root)
    m.set({"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]})
    assert read(m, "hugetlb.2MB.max") == str(4 << 20)
    with pytest.raises(CgroupError, match="hugetlb.1GB.max"):
        m.set({"hugepageLimits": [{"pageSize": "1GB", "limit": 0}]})


def test_unified(root: Path) -> None:
    m = manager(root)
    m.set({"unified": {"memory.high": "50000000", "cgroup.max.depth": "3"}})
    assert (read(m, "memory.high"), read(m, "cgroup.max.depth")) == ("50000000", "3")
    for bad in ({"../x": "1"}, {"memory.high": 5}, {".hidden": "1"}):
        with pytest.raises(CgroupError):
            m.set({"unified": bad})
    with pytest.raises(CgroupError, match="rdma controller is not available"):
        m.set({"unified": {"rdma.max": "x"}})


def test_missing_controller_is_named(root: Path) -> None:
    (root / "cgroup.controllers").write_text("cpu pids\n")
    with pytest.raises(CgroupError, match="memory controller is not available"):
        manager(root).set({"memory": {"limit": 1 << 20}})


def test_network_is_refused(root: Path) -> None:
    with pytest.raises(CgroupError, match="no cgroup v2 equivalent"):
        manager(root).set({"network": {"classID": 1}})


def test_bad_types_name_the_key(root: Path) -> None:
    with pytest.raises(CgroupError, match=r"memory\.limit must be an integer"):
        manager(root).set({"memory": {"limit": "12q"}})


def test_freeze_and_thaw(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = manager(root)
    events = Path(m.dir, "cgroup.events")
    events.write_text("populated 1\nfrozen 1\n")  # as if the kernel were quick
    m.freeze()
    assert read(m, "cgroup.freeze") == "1" and m.frozen()
    events.write_text("populated 1\nfrozen 0\n")
    m.thaw()
    assert read(m, "cgroup.freeze") == "0" and not m.frozen()


def test_freeze_that_never_completes_is_undone(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(v2, "FREEZE_TIMEOUT", 0.05)
    m = manager(root)
    with pytest.raises(CgroupError, match="freezing"):
        m.freeze()
    assert read(m, "cgroup.freeze") == "0"


def test_pids_are_recursive(root: Path) -> None:
    m = manager(root)
    Path(m.dir, "cgroup.procs").write_text("10\n12\n")
    make_cgroup(Path(m.dir) / "inner")
    Path(m.dir, "inner", "cgroup.procs").write_text("11\n")
    assert m.pids() == [10, 11, 12]


def test_kill_all_uses_cgroup_kill(root: Path) -> None:
    m = manager(root)
    m.kill_all(signal.SIGKILL)
    assert read(m, "cgroup.kill") == "1"


def test_stats(root: Path) -> None:
    s = manager(root).stats()
    assert s["cpu"]["usage"] == {"total": 1_500_000, "percpu": [], "percpu_kernel": [],
                                 "percpu_user": [], "kernel": 500_000, "user": 1_000_000}
    assert s["cpu"]["throttling"] == {"periods": 4, "throttledPeriods": 1, "throttledTime": 7000}
    assert s["memory"]["usage"] == {"limit": 2**64 - 1, "usage": 4096, "max": 8192, "failcnt": 3}
    assert s["memory"]["cache"] == 2048 and s["memory"]["raw"]["anon"] == 100
    assert s["memory"]["swap"]["usage"] == 4096
    assert s["pids"] == {"current": 2, "limit": 0}
    assert s["blkio"]["ioServiceBytesRecursive"] == [
        {"major": 254, "minor": 0, "op": "Read", "value": 4096},
        {"major": 254, "minor": 0, "op": "Write", "value": 8192}]
    assert s["hugetlb"] == {"2MB": {"usage": 0, "max": 0, "failcnt": 0}}


def test_destroy_removes_the_tree_bottom_up(root: Path) -> None:
    m = cgroups.manager_for("/teu/empty", "x", root=str(root))
    os.makedirs(os.path.join(m.dir, "a", "b"))  # empty dirs rmdir like cgroups do
    m.destroy()
    assert not m.exists() and (root / "teu").is_dir()
    m.destroy()  # gone already: fine


def test_destroy_failure_is_a_cgroup_error(root: Path) -> None:
    m = manager(root)  # a plain directory with files: rmdir fails with ENOTEMPTY
    with pytest.raises(CgroupError, match="removing"):
        m.destroy()


def test_attach_round_trip_and_refusals(root: Path, tmp_path: Path) -> None:
    m = manager(root)
    again = cgroups.attach(m.all_dirs, root=str(root))
    assert isinstance(again, V2Manager) and again.dir == m.dir and again.path == "/teu/c1"
    for bad in ({"unified": str(root)}, {"unified": str(tmp_path / "elsewhere")}, {}):
        with pytest.raises(CgroupError):
            cgroups.attach(bad, root=str(root))
