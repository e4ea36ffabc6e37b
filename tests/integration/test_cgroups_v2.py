"""The v2 manager on this host's real cgroup2 mount (/sys/fs/cgroup/unified on hybrid).

That mount offers no resource controllers to enable here, but the core of v2
works: cgroup.procs, cgroup.freeze, cgroup.kill, and device rules as eBPF
programs (checked by the kernel whatever the controllers). Limits are tested
against a fake tree in tests/unit/test_cgroups_v2_fake.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid

import pytest

from teu.runtime import cgroups
from teu.runtime.cgroups import base, bpf
from teu.runtime.cgroups.v2 import V2Manager


def _unified_root() -> str | None:
    for candidate in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if cgroups.detect(candidate) == "v2":
            return candidate
    return None


ROOT = _unified_root()
pytestmark = [pytest.mark.root,
              pytest.mark.skipif(ROOT is None, reason="no cgroup2 mount on this host")]


def controllers() -> set[str]:
    with open(os.path.join(ROOT or "", "cgroup.subtree_control")) as f:
        return set(f.read().split())


@pytest.fixture
def v2():
    assert ROOT is not None
    before = controllers()
    name = f"teu-test-{uuid.uuid4().hex[:10]}"
    m = cgroups.manager_for(f"/{name}/ctr", "ctr", root=ROOT)
    assert isinstance(m, V2Manager)
    procs: list[subprocess.Popen] = []
    try:
        yield m, procs
    finally:
        if m.exists() and m.frozen():
            m.thaw()
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        base.remove_tree(os.path.join(ROOT, name))
        if ROOT != "/sys/fs/cgroup":  # on a pure v2 host the root's controllers are the host's
            for c in controllers() - before:
                try:
                    with open(os.path.join(ROOT, "cgroup.subtree_control"), "w") as f:
                        f.write(f"-{c}")
                except OSError:
                    pass


def run(m: V2Manager, procs: list, *args: str, **kw) -> subprocess.Popen:
    p = subprocess.Popen(list(args), preexec_fn=lambda: m.add(os.getpid()), **kw)
    procs.append(p)
    return p


def wait_for(predicate, timeout: float = 5.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_freeze_thaw_pids_and_stats(v2) -> None:  # noqa: ANN001
    m, procs = v2
    m.create()
    p = run(m, procs, "sh", "-c", "while :; do :; done")
    assert wait_for(lambda: m.pids() == [p.pid] and cpu_ticks(p.pid) > 0)
    m.freeze()
    assert m.frozen()
    time.sleep(0.05)
    at = cpu_ticks(p.pid)
    time.sleep(0.3)
    assert cpu_ticks(p.pid) == at
    m.thaw()
    assert not m.frozen() and wait_for(lambda: cpu_ticks(p.pid) > at)
    assert m.stats()["cpu"]["usage"]["total"] > 0


def test_kill_all_uses_cgroup_kill(v2) -> None:  # noqa: ANN001
    m, procs = v2
    m.create()
    sh = run(m, procs, "sh", "-c", "sleep 100 & sleep 100 & wait")
    assert wait_for(lambda: len(m.pids()) == 3)
    m.kill_all(signal.SIGKILL)
    assert sh.wait(timeout=10) == -signal.SIGKILL
    assert wait_for(lambda: m.pids() == [])
    m.destroy()
    assert not m.exists()


def test_kill_all_other_signals_go_through_the_freezer(v2) -> None:  # noqa: ANN001
    m, procs = v2
    m.create()
    p = run(m, procs, "sleep", "100")
    assert wait_for(lambda: m.pids() == [p.pid])
    m.kill_all(signal.SIGTERM)
    assert p.wait(timeout=10) == -signal.SIGTERM
    assert not m.frozen()


def test_device_rules_are_an_ebpf_program(v2) -> None:  # noqa: ANN001
    m, procs = v2
    m.create()
    rules = [{"allow": False, "access": "rwm"},
             {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
             {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "r"}]
    m.set({"devices": rules})
    first = bpf.attached(m.dir)
    assert len(first) == 1
    m.set({"devices": rules})  # an update replaces the program, it does not pile up
    assert len(bpf.attached(m.dir)) == 1 and bpf.attached(m.dir) != first
    p = run(m, procs, "sh", "-c",
            "echo x > /dev/null && echo null-ok; "
            "head -c1 /dev/zero > /dev/null && echo zero-read-ok; "
            "echo x > /dev/zero 2>/dev/null || echo zero-write-denied; "
            "head -c1 /dev/full > /dev/null 2>&1 || echo full-denied",
            stdout=subprocess.PIPE, text=True)
    out, _ = p.communicate(timeout=10)
    assert out.split() == ["null-ok", "zero-read-ok", "zero-write-denied", "full-denied"]
