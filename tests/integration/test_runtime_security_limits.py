"""seccomp, cgroup limits and namespaces less often used, through teu-runtime itself."""

import errno
import os
import subprocess
import sys

import pytest
from test_runtime_isolation import run_in


@pytest.mark.parametrize("nnp", [True, False])
def test_seccomp_profile_denies_a_syscall(runtime, make_bundle, nnp):
    b = make_bundle()
    b.config["root"]["readonly"] = False
    b.config["process"]["noNewPrivileges"] = nnp
    b.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": errno.EACCES}],
    }
    p = run_in(runtime, b, "mkdir /newdir; echo rc=$?; touch /file && echo touch-ok",
               check=False)
    assert "Permission denied" in p.stderr
    assert "rc=1" in p.stdout and "touch-ok" in p.stdout
    assert not (b.rootfs / "newdir").exists()


def test_seccomp_kill_process(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"}],
    }
    b.config["process"]["args"] = ["uname"]
    b.save()
    p = runtime("run", "-b", str(b.path), runtime.new_id())
    assert p.returncode == 128 + 31  # SIGSYS


def test_bad_seccomp_profile_is_refused_before_start(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_SOMETIMES"}
    b.save()
    cid = runtime.new_id()
    p = runtime("create", "-b", str(b.path), cid)
    assert p.returncode == 1 and "linux.seccomp.defaultAction" in p.stderr
    assert not (runtime.root / cid).exists()


def test_cpu_and_cpuset_limits(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["resources"] = {"cpu": {"shares": 512, "quota": 50000,
                                              "period": 100000, "cpus": "0"}}
    out = run_in(runtime, b, "cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us"
                 " /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpuset/cpuset.cpus; "
                 "grep Cpus_allowed_list /proc/self/status").stdout.split()
    assert out[:4] == ["512", "50000", "100000", "0"]
    assert out[-1] == "0"


def test_memory_limit_kills_a_hog(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["resources"] = {"memory": {"limit": 16 * 1024 * 1024,
                                                 "swap": 16 * 1024 * 1024}}
    # Reading 64 MiB into one shell variable needs far more than 16 MiB.
    p = run_in(runtime, b, "x=$(head -c 67108864 /dev/zero | tr '\\0' a); echo survived",
               check=False)
    assert "survived" not in p.stdout
    assert p.returncode != 0


def test_systemd_cgroup_needs_systemd(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["cgroupsPath"] = "system.slice:teu:test"
    b.save()
    cid = runtime.new_id()
    p = runtime("--systemd-cgroup", "create", "-b", str(b.path), cid)
    assert p.returncode == 1 and "systemd" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert not (runtime.root / cid).exists()


def test_time_namespace_offsets(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["namespaces"].append({"type": "time"})
    b.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0}}
    up = float(run_in(runtime, b, "cut -d' ' -f1 /proc/uptime").stdout)
    assert up > 86400 * 365


def test_cgroups_path_absolute(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["cgroupsPath"] = "/teu-test-abs/inner"
    try:
        out = run_in(runtime, b, "cat /proc/self/cgroup").stdout
        assert "/teu-test-abs/inner" in out
        assert not os.path.exists("/sys/fs/cgroup/memory/teu-test-abs/inner")  # deleted
    finally:
        for controller in os.listdir("/sys/fs/cgroup"):
            parent = os.path.join("/sys/fs/cgroup", controller, "teu-test-abs")
            if os.path.isdir(parent):
                os.rmdir(parent)


def test_compiled_seccomp_filters_are_cached_and_still_enforced(runtime, make_bundle):
    b = make_bundle()
    b.config["root"]["readonly"] = False
    b.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": errno.EACCES}],
    }
    first = run_in(runtime, b, "mkdir /a 2>&1; echo rc=$?", check=False)
    cached = list((runtime.root / ".cache" / "seccomp").glob("*.bpf"))
    assert len(cached) == 1
    assert cached[0].stat().st_mode & 0o077 == 0 or cached[0].parent.stat().st_mode & 0o077 == 0
    second = run_in(runtime, b, "mkdir /a 2>&1; echo rc=$?", check=False)  # from the cache
    for p in (first, second):
        assert "Permission denied" in p.stdout and "rc=1" in p.stdout
    assert not (b.rootfs / "a").exists()
    # A damaged cache entry is ignored and rewritten, never trusted.
    cached[0].write_bytes(b"garbage")
    third = run_in(runtime, b, "mkdir /a 2>&1; echo rc=$?", check=False)
    assert "Permission denied" in third.stdout
    assert len(cached[0].read_bytes()) > 12
    assert runtime("list", "-q").stdout == ""  # .cache is not a container


# A teu-runtime started under a seccomp filter that answers clone3 with ENOSYS, as docker's
# default profile does (a runtime inside a container): the init cannot be cloned into its
# cgroup, and the runtime moves it there as before.
UNDER_SECCOMP = """#!{python} -S
import os, sys
sys.path[:0] = {path!r}
from teu.runtime.seccomp.cache import compile_cached
compile_cached({profile!r}, None).load()
os.execv({binary!r}, [{binary!r}] + sys.argv[1:])
"""


def _without_clone3(runtime, tmp_path) -> None:  # noqa: ANN001
    wrapper = tmp_path / "teu-runtime-no-clone3"
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO",
                             "errnoRet": errno.ENOSYS}]}
    wrapper.write_text(UNDER_SECCOMP.format(python=sys.executable, path=sys.path,
                                            profile=profile, binary=runtime.binary))
    wrapper.chmod(0o755)
    runtime.binary = str(wrapper)


def _assert_in_cgroup_everywhere(out: str, path: str, clone3: bool) -> None:
    lines = out.splitlines()
    seccomp = lines.pop()
    assert seccomp.split()[1] == ("0" if clone3 else "2")  # the filter is inherited: it ran
    with open("/proc/self/cgroup") as f:
        assert len(lines) == len(f.read().splitlines())  # every hierarchy the host has
    assert all(line.split(":", 2)[2] == path for line in lines), lines


def _in_user_namespace(b) -> None:  # noqa: ANN001
    """A user namespace whose root is not the host's (the runtime clones its init)."""
    b.config["linux"]["namespaces"].append({"type": "user"})
    for key in ("uidMappings", "gidMappings"):
        b.config["linux"][key] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    subprocess.run(["chown", "-R", "100000:100000", str(b.rootfs)], check=True)
    for parent in b.rootfs.parents:  # searchable by the mapped root (pytest's are 0700)
        if str(parent) == "/tmp":
            break
        parent.chmod(0o755)
    b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] != "cgroup"]


@pytest.mark.parametrize("userns", ["", "cloned", "binds", "stage1"],
                         ids=["direct", "userns", "userns-binds", "userns-stage1"])
@pytest.mark.parametrize("clone3", [True, False], ids=["clone3", "clone3-refused"])
def test_init_is_in_its_cgroup_in_every_hierarchy(runtime, make_bundle, tmp_path, clone3,
                                                 userns):
    """The init is in its cgroup before it runs anything of the container's, in every
    hierarchy: born in the cgroup2 one (clone3's CLONE_INTO_CGROUP), moving itself into
    the v1 ones; or, where clone3 is refused, moved by the runtime. Whether the runtime
    clones it (into a new user namespace too, with a bind mount whose source the host's
    root opens) or stage 1 does (a time namespace, and the bind mount), from inside the
    new user namespace."""
    if not clone3:
        _without_clone3(runtime, tmp_path)
    b = make_bundle()
    if userns:
        _in_user_namespace(b)
    if userns == "stage1":
        b.config["linux"]["namespaces"].append({"type": "time"})
    if userns in ("binds", "stage1"):
        (tmp_path / "src").mkdir()
        b.config["mounts"].append({"destination": "/mnt", "type": "bind",
                                   "source": str(tmp_path / "src"), "options": ["rbind", "ro"]})
    path = f"/teutest/{runtime.new_id()}"
    b.config["linux"]["cgroupsPath"] = path
    # $$'s cgroups: the shell is the init itself (exec'd by it), as the user's program is.
    out = run_in(runtime, b, "cat /proc/$$/cgroup; grep Seccomp: /proc/$$/status").stdout
    _assert_in_cgroup_everywhere(out, path, clone3)


@pytest.mark.parametrize("userns", [False, True], ids=["plain", "userns"])
@pytest.mark.parametrize("clone3", [True, False], ids=["clone3", "clone3-refused"])
def test_exec_process_is_in_the_cgroup_in_every_hierarchy(runtime, make_bundle, tmp_path,
                                                          clone3, userns):
    """Likewise for an exec'd process: its stage 1 forks it into the cgroup2 one, and
    it moves itself into the v1 ones (or, clone3 refused, stage 1 moves itself into the
    cgroup2 one first)."""
    b = make_bundle(["sleep", "300"])
    if userns:
        _in_user_namespace(b)
    path = f"/teutest/{runtime.new_id()}"
    b.config["linux"]["cgroupsPath"] = path
    b.save()
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    if not clone3:
        _without_clone3(runtime, tmp_path)
    try:
        p = runtime("exec", cid, "sh", "-c", "cat /proc/$$/cgroup; grep Seccomp: /proc/$$/status",
                    check=True)
        _assert_in_cgroup_everywhere(p.stdout, path, clone3)
    finally:
        runtime("kill", cid, "KILL")


@pytest.mark.parametrize("userns", [False, True], ids=["plain", "userns"])
def test_exec_process_joins_the_cgroup_namespace_after_its_clone(runtime, make_bundle,
                                                                 tmp_path, userns):
    """An exec'd process is in the container's cgroup namespace, at its root (the
    container's cgroup) in every hierarchy; and it is the process cloned into the cgroup
    (clone3's CLONE_INTO_CGROUP) that joins the namespace, after the clone, not its
    parent before it: where cgroup2 is mounted nsdelegate, the kernel refuses a process
    inside a cgroup namespace a clone into a cgroup from one outside it (ENOENT). This
    host mounts no cgroup2 nsdelegate, so strace shows the order."""
    b = make_bundle(["sleep", "300"])
    if userns:
        _in_user_namespace(b)
    b.config["linux"]["namespaces"].append({"type": "cgroup"})
    b.config["linux"]["cgroupsPath"] = f"/teutest/{runtime.new_id()}"
    b.save()
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    try:
        init_ns = os.readlink(f"/proc/{runtime.state(cid)['pid']}/ns/cgroup")
        trace = tmp_path / "trace"
        p = _traced(runtime, trace, "exec", cid, "sh", "-c",
                    "readlink /proc/$$/ns/cgroup; cat /proc/$$/cgroup")
        assert p.returncode == 0, p.stderr
        ns, *cgroups = p.stdout.splitlines()
        assert ns == init_ns
        with open("/proc/self/cgroup") as f:
            assert len(cgroups) == len(f.read().splitlines())  # every hierarchy the host has
        assert all(line.split(":", 2)[2] == "/" for line in cgroups), cgroups
        _assert_cloned_then_joined(trace)
    finally:
        runtime("kill", cid, "KILL")


def _traced(runtime, trace, *args: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    """teu-runtime under strace, one file per process (trace.PID): with one file for
    all, a call another process interrupts is split over two lines."""
    return subprocess.run(["strace", "-ff", "-qq", "-e", "trace=clone3,setns", "-o", str(trace),
                           *runtime.cmd(*args)], capture_output=True, text=True, timeout=30)


def _assert_cloned_then_joined(trace) -> None:  # noqa: ANN001
    """The one process cloned into the cgroup (clone3's CLONE_INTO_CGROUP) joined the
    cgroup namespace (setns CLONE_NEWCGROUP), and nothing else did."""
    calls = [(int(f.name.rsplit(".", 1)[1]), line) for f in trace.parent.glob(trace.name + ".*")
             for line in f.read_text().splitlines()]
    clones = [int(call.rsplit("= ", 1)[1]) for _, call in calls
              if call.startswith("clone3(") and "CLONE_INTO_CGROUP" in call]
    joins = [pid for pid, call in calls if call.startswith("setns(")
             and "CLONE_NEWCGROUP" in call and call.endswith("= 0")]
    assert len(clones) == 1 and joins == clones, calls


def test_init_joins_a_cgroup_namespace_given_by_path_after_its_clone(runtime, make_bundle,
                                                                     tmp_path):
    """Likewise for an init that joins another container's cgroup namespace (stage 1
    makes it): the init, born in its own cgroup, joins that namespace, not stage 1."""
    first = make_bundle(["sleep", "300"])
    first.config["linux"]["namespaces"].append({"type": "cgroup"})
    first.save()
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(first.path), cid, check=True)
    try:
        ns = f"/proc/{runtime.state(cid)['pid']}/ns/cgroup"
        b = make_bundle(["readlink", "/proc/self/ns/cgroup"])
        b.config["linux"]["namespaces"].append({"type": "cgroup", "path": ns})
        # (Its own cgroup is outside that namespace's root: no cgroupfs to mount of it.)
        b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] != "cgroup"]
        b.save()
        trace = tmp_path / "trace"
        p = _traced(runtime, trace, "run", "-b", str(b.path), runtime.new_id())
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == os.readlink(ns)
        _assert_cloned_then_joined(trace)
    finally:
        runtime("kill", cid, "KILL")
