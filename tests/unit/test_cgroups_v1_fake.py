"""The v1 (and hybrid) manager against a fake cgroupfs tree: write order and choices.

The real kernel runs in tests/integration/test_cgroups_v1.py; here the fake
tree lets a test see the order of writes and simulate what this host lacks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from teu.runtime import cgroups
from teu.runtime.cgroups import CgroupError, fs
from teu.runtime.cgroups.v1 import V1Manager
from teu.runtime.cgroups.v2 import V2Manager

UNLIMITED = "9223372036854771712"
FILES = {
    "cpu": {"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1",
            "cpu.cfs_burst_us": "0", "cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0",
            "cpu.idle": "0", "cpu.stat": "nr_periods 5\nnr_throttled 2\nthrottled_time 300\n"},
    "cpuacct": {"cpuacct.usage": "3000", "cpuacct.usage_percpu": "1000 2000",
                "cpuacct.usage_user": "2500", "cpuacct.usage_sys": "500",
                "cpuacct.usage_all": "cpu user system\n0 800 200\n1 1700 300\n"},
    "cpuset": {"cpuset.cpus": "", "cpuset.mems": ""},
    "memory": {"memory.limit_in_bytes": UNLIMITED, "memory.memsw.limit_in_bytes": UNLIMITED,
               "memory.soft_limit_in_bytes": UNLIMITED, "memory.usage_in_bytes": "4096",
               "memory.max_usage_in_bytes": "8192", "memory.failcnt": "1",
               "memory.memsw.usage_in_bytes": "4096", "memory.kmem.tcp.limit_in_bytes": UNLIMITED,
               "memory.swappiness": "60", "memory.oom_control": "oom_kill_disable 0\n",
               "memory.use_hierarchy": "1", "memory.stat": "cache 10\ntotal_cache 20\n"},
    "devices": {"devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm\n"},
    "freezer": {"freezer.state": "THAWED"},
    "blkio": {"blkio.bfq.weight": "100", "blkio.bfq.weight_device": "",
              "blkio.throttle.read_bps_device": "", "blkio.throttle.write_iops_device": "",
              "blkio.bfq.io_service_bytes_recursive": "Total 0\n",
              "blkio.throttle.io_service_bytes_recursive": "254:0 Read 4096\n254:0 Write 0\n"
                                                           "Total 4096\n",
              "blkio.throttle.io_serviced_recursive": "254:0 Read 1\nTotal 1\n"},
    "pids": {"pids.max": "max", "pids.current": "3"},
}


def make_tree(top: Path, controllers: tuple[str, ...] = tuple(FILES), path: str = "teu/c1",
              unified: bool = False) -> Path:
    """A v1 layout: each hierarchy's root, the parent and the leaf, with their files."""
    for c in controllers:
        (top / c).mkdir(parents=True)
        (top / c / "cgroup.procs").write_text("")
        if c == "cpuset":
            (top / c / "cpuset.cpus").write_text("0-1\n")
            (top / c / "cpuset.mems").write_text("0\n")
        parent = top / c
        for part in path.split("/"):
            parent = parent / part
            parent.mkdir()
            (parent / "cgroup.procs").write_text("")
            for name, text in FILES[c].items():
                (parent / name).write_text(text)
    if unified:
        u = top / "unified"
        for d in (u, u / "teu", u / "teu" / "c1"):
            d.mkdir(parents=True)
            for name in ("cgroup.controllers", "cgroup.subtree_control", "cgroup.procs"):
                (d / name).write_text("hugetlb\n" if name == "cgroup.controllers" else "")
        (u / "teu" / "c1" / "hugetlb.2MB.max").write_text("max")
    return top


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    real = fs.write

    def record(directory: str, name: str, value: object) -> None:
        seen.append((name, str(value)))
        real(directory, name, value)  # type: ignore[arg-type]

    monkeypatch.setattr(fs, "write", record)
    return seen


def manager(top: Path, path: str = "/teu/c1") -> V1Manager:
    m = cgroups.manager_for(path, "c1", root=str(top))
    assert isinstance(m, V1Manager)
    return m


def read(m: V1Manager, controller: str, name: str) -> str:
    return Path(m.dirs[controller], name).read_text().strip()


def test_layout_and_paths(tmp_path: Path) -> None:
    top = make_tree(tmp_path, unified=True)
    assert cgroups.detect(str(top)) == "hybrid"
    m = manager(top)
    assert m.path == "/teu/c1"
    assert m.dirs["memory"] == str(top / "memory" / "teu" / "c1")
    assert m.unified is not None and m.unified.dir == str(top / "unified" / "teu" / "c1")
    assert set(m.all_dirs) == set(FILES) | {"unified"}


def test_create_fills_empty_cpusets_from_the_top(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path))
    m.create()
    for d in (tmp_path / "cpuset" / "teu", tmp_path / "cpuset" / "teu" / "c1"):
        assert (d / "cpuset.cpus").read_text() == "0-1"
        assert (d / "cpuset.mems").read_text() == "0"


def test_memory_lowering_writes_limit_first(tmp_path: Path, writes: list) -> None:
    m = manager(make_tree(tmp_path))
    m.set({"memory": {"limit": 64 << 20, "swap": 128 << 20}})
    assert [n for n, _ in writes] == ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]


def test_memory_raising_writes_memsw_first(tmp_path: Path, writes: list) -> None:
    m = manager(make_tree(tmp_path))
    Path(m.dirs["memory"], "memory.limit_in_bytes").write_text(str(64 << 20))
    m.set({"memory": {"limit": 256 << 20, "swap": 512 << 20}})
    assert writes == [("memory.memsw.limit_in_bytes", str(512 << 20)),
                      ("memory.limit_in_bytes", str(256 << 20))]


def test_memory_unlimited_lifts_memsw_too(tmp_path: Path, writes: list) -> None:
    m = manager(make_tree(tmp_path))
    m.set({"memory": {"limit": -1}})
    assert writes == [("memory.memsw.limit_in_bytes", "-1"), ("memory.limit_in_bytes", "-1")]


def test_memory_other_knobs(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path))
    m.set({"memory": {"reservation": 1 << 20, "swappiness": 10, "disableOOMKiller": True,
                      "kernelTCP": 1 << 20, "kernel": 1 << 20}})
    assert read(m, "memory", "memory.soft_limit_in_bytes") == str(1 << 20)
    assert read(m, "memory", "memory.swappiness") == "10"
    assert read(m, "memory", "memory.oom_control") == "1"
    assert read(m, "memory", "memory.kmem.tcp.limit_in_bytes") == str(1 << 20)
    assert m.warnings and "memory.kernel is ignored" in m.warnings[0]
    with pytest.raises(CgroupError, match="swappiness"):
        m.set({"memory": {"swappiness": 101}})


def test_swap_without_accounting(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path))
    os.unlink(os.path.join(m.dirs["memory"], "memory.memsw.limit_in_bytes"))
    with pytest.raises(CgroupError, match="swap accounting"):
        m.set({"memory": {"limit": 100 << 20, "swap": 200 << 20}})
    m.set({"memory": {"limit": -1}})  # implied unlimited swap: nothing to do without memsw


def test_cpu(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path))
    m.set({"cpu": {"shares": 512, "quota": 20000, "period": 50000, "cpus": "1", "mems": "0",
                   "realtimePeriod": 500000, "realtimeRuntime": 1000, "idle": 0}})
    assert read(m, "cpu", "cpu.shares") == "512"
    assert read(m, "cpu", "cpu.cfs_quota_us") == "20000"
    assert read(m, "cpu", "cpu.cfs_period_us") == "50000"
    assert read(m, "cpu", "cpu.rt_runtime_us") == "1000"
    assert read(m, "cpuset", "cpuset.cpus") == "1"


def test_period_refused_until_quota_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = manager(make_tree(tmp_path))
    order: list[str] = []
    real = fs.write

    def kernel(directory: str, name: str, value: object) -> None:
        order.append(name)
        if name == "cpu.cfs_period_us" and "cpu.cfs_quota_us" not in order:
            raise CgroupError("EINVAL")
        real(directory, name, value)  # type: ignore[arg-type]

    monkeypatch.setattr(fs, "write", kernel)
    m.set({"cpu": {"quota": 1000, "period": 10000}})
    assert order == ["cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.cfs_period_us"]


def test_shares_clamped_by_the_kernel_is_an_error(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    m = manager(make_tree(tmp_path))
    monkeypatch.setattr(fs, "read_int", lambda d, n, default=0: 2)
    with pytest.raises(CgroupError, match="kernel keeps 2"):
        m.set({"cpu": {"shares": 1}})


def test_pids(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path))
    m.set({"pids": {"limit": 5}})
    assert read(m, "pids", "pids.max") == "5"
    m.set({"pids": {"limit": -1}})
    assert read(m, "pids", "pids.max") == "max"


def test_blkio_falls_back_to_bfq_and_names_missing_files(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path))
    m.set({"blockIO": {"weight": 300,
                       "weightDevice": [{"major": 8, "minor": 0, "weight": 200}],
                       "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1024}]}})
    assert read(m, "blkio", "blkio.bfq.weight") == "300"
    assert read(m, "blkio", "blkio.bfq.weight_device") == "8:0 200"
    assert read(m, "blkio", "blkio.throttle.read_bps_device") == "8:0 1024"
    with pytest.raises(CgroupError, match="blkio.leaf_weight, which this kernel does not have"):
        m.set({"blockIO": {"leafWeight": 300}})


def test_missing_controller_only_matters_when_asked(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path, controllers=("memory", "freezer")))
    m.set({"memory": {"limit": 1 << 20}})
    m.set({"hugepageLimits": [], "network": {}, "pids": {}})  # empty asks for nothing
    for resources, controller in (
            ({"pids": {"limit": 5}}, "pids"),
            ({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]}, "hugetlb"),
            ({"network": {"classID": 1}}, "net_cls"),
            ({"network": {"priorities": [{"name": "eth0", "priority": 1}]}}, "net_prio"),
            ({"rdma": {"mlx5_0": {"hcaHandles": 1}}}, "rdma"),
            ({"devices": [{"allow": False}]}, "devices")):
        with pytest.raises(CgroupError, match=f"needs the {controller} controller"):
            m.set(resources)


def test_hybrid_hugetlb_goes_to_the_unified_hierarchy(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path, unified=True))
    m.set({"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]})
    assert m.unified is not None
    assert Path(m.unified.dir, "hugetlb.2MB.max").read_text() == str(4 << 20)


def test_unified_needs_v2(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path))
    with pytest.raises(CgroupError, match="needs cgroup v2"):
        m.set({"unified": {"memory.high": "1"}})


def test_devices_from_allow_all(tmp_path: Path, writes: list) -> None:
    m = manager(make_tree(tmp_path))
    m.set({"devices": [{"allow": False, "access": "rwm"},
                       {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]})
    assert writes == [("devices.deny", "a"), ("devices.allow", "c 1:3 rwm")]


def test_devices_update_of_a_whitelist_is_a_diff(tmp_path: Path, writes: list) -> None:
    m = manager(make_tree(tmp_path))
    Path(m.dirs["devices"], "devices.list").write_text("c 1:3 rwm\nc 1:5 rwm\n")
    m.set({"devices": [{"allow": False, "access": "rwm"},
                       {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]})
    assert writes == [("devices.deny", "c 1:5 rwm")]


def test_freezer(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path))
    assert m.can_freeze() and not m.frozen()
    m.freeze()  # the fake file reads back what was written, like a quick kernel
    assert m.frozen()
    m.thaw()
    assert not m.frozen()


def test_no_freezer(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path, controllers=("memory",)))
    assert not m.can_freeze()
    with pytest.raises(CgroupError, match="freezer controller"):
        m.freeze()


def test_add_writes_every_hierarchy_once(tmp_path: Path, writes: list) -> None:
    m = manager(make_tree(tmp_path, unified=True))
    m.dirs["cpuacct"] = m.dirs["cpu"]  # co-mounted: one directory, one write
    m.add(4242)
    assert writes.count(("cgroup.procs", "4242")) == len(FILES)


def test_stats(tmp_path: Path) -> None:
    m = manager(make_tree(tmp_path, unified=True))
    s = m.stats()
    assert s["cpu"]["usage"] == {"total": 3000, "percpu": [1000, 2000],
                                 "percpu_kernel": [200, 300], "percpu_user": [800, 1700],
                                 "kernel": 500, "user": 2500}
    assert s["cpu"]["throttling"] == {"periods": 5, "throttledPeriods": 2, "throttledTime": 300}
    assert s["memory"]["usage"] == {"limit": int(UNLIMITED), "usage": 4096, "max": 8192,
                                    "failcnt": 1}
    assert s["memory"]["cache"] == 20
    assert s["pids"] == {"current": 3, "limit": 0}
    # BFQ counts nothing for devices it does not schedule: blk-throttle's files win.
    assert s["blkio"]["ioServiceBytesRecursive"][0] == {"major": 254, "minor": 0, "op": "Read",
                                                        "value": 4096}
    assert s["blkio"]["ioServicedRecursive"] == [{"major": 254, "minor": 0, "op": "Read",
                                                  "value": 1}]
    assert s["hugetlb"] == {"2MB": {"usage": 0, "max": 0, "failcnt": 0}}


def test_attach_round_trip(tmp_path: Path) -> None:
    top = make_tree(tmp_path, unified=True)
    m = manager(top)
    again = cgroups.attach(m.all_dirs, root=str(top))
    assert isinstance(again, V1Manager) and again.all_dirs == m.all_dirs
    assert again.path == "/teu/c1" and isinstance(again.unified, V2Manager)
    with pytest.raises(CgroupError, match="refusing"):
        cgroups.attach({"memory": str(top / "memory")}, root=str(top))
    with pytest.raises(CgroupError, match="refusing"):
        cgroups.attach({"memory": str(top / "pids" / "teu")}, root=str(top))
