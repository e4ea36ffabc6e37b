"""What runc's own integration suite (v1.1.5 bats) checks, one lean test per behaviour.

Each test here failed before the fix it guards (issue 18); the bats suite itself is
run by hand (docs/conformance.md), never from here.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading

import pytest
from tests.integration.test_seccomp_kernel import answer_one


def _run_d(runtime, bundle) -> str:  # noqa: ANN001
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(bundle.path), cid, check=True)
    return cid


# --- seccomp: SCMP_ACT_NOTIFY hands the listener fd to listenerPath -----------------------

class Agent:
    """A seccomp agent on a unix socket: takes each fd with its state, fails one mkdir
    with ENOMEDIUM, and closes the fd (the container's later notified calls: ENOSYS)."""

    def __init__(self, path: str) -> None:
        self.messages: list[dict] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(4)
        self.server.settimeout(20)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            while True:
                conn, _ = self.server.accept()
                with conn:
                    msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
                self.messages.append(json.loads(msg))
                try:
                    answer_one(fds[0], errno.ENOMEDIUM)
                finally:
                    os.close(fds[0])
        except OSError:
            return

    def close(self) -> None:
        self.server.close()


def test_seccomp_notify_fd_goes_to_the_agent_for_run_and_exec(runtime, make_bundle, tmp_path):
    agent = Agent(str(tmp_path / "agent.sock"))
    try:
        b = make_bundle(["sh", "-c", "mkdir /tmp/a; sleep 300"])
        b.config["process"]["noNewPrivileges"] = True  # the late (nnp) load point
        b.config["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(tmp_path / "agent.sock"),
            "listenerMetadata": "meta", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
        b.save()
        cid = _run_d(runtime, b)
        p = runtime("exec", cid, "sh", "-c", "mkdir /tmp/b; mkdir /tmp/c")
        assert "No medium found" in p.stderr  # the agent's answer to the first mkdir
        assert "Function not implemented" in p.stderr  # the agent has closed its fd
        assert p.returncode != 0
        first, second = agent.messages
        assert first["fds"] == ["seccompFd"] and first["metadata"] == "meta"
        assert first["state"]["id"] == cid and first["pid"] == runtime.state(cid)["pid"]
        assert second["state"]["id"] == cid and second["pid"] != first["pid"]
        # The init's mkdir was answered by the agent too: nothing was made.
        assert not (b.rootfs / "tmp" / "a").exists() and not (b.rootfs / "tmp" / "b").exists()
    finally:
        agent.close()


def test_seccomp_notify_without_an_agent_fails_clearly(runtime, make_bundle, tmp_path):
    b = make_bundle(["true"])
    b.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(tmp_path / "none.sock"),
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}
    b.save()
    p = runtime("run", "-b", str(b.path), runtime.new_id())
    assert p.returncode != 0 and "failed to connect with seccomp agent" in p.stderr


# --- logging: --log is created at once; --debug lines from both sides of the fork ---------

def test_debug_goes_to_the_log_file_as_json_lines(runtime, make_bundle, tmp_path):
    log = tmp_path / "log.json"
    runtime("--log", str(log), "list", check=True)
    assert log.exists()  # created even when nothing goes wrong, as runc does
    b = make_bundle(["true"])
    p = runtime("--log", str(log), "--log-format", "json", "--debug", "run", "-b", str(b.path),
                runtime.new_id())
    assert p.returncode == 0 and "debug" not in p.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines and all(set(e) == {"level", "msg", "time"} for e in lines)
    debug = [e["msg"] for e in lines if e["level"] == "debug"]
    # Written by the container's init after pivot_root, through the kept fd.
    assert any("closing the pipe to signal completion" in m for m in debug)
    # runc's debug.bats looks for these two too, whether or not a stage 1 ran.
    assert any("nsexec container setup" in m for m in debug)
    assert any("child process in init()" in m for m in debug)


def test_debug_without_log_goes_to_stderr_as_text(runtime, make_bundle):
    cid = _run_d(runtime, make_bundle(["sleep", "300"]))
    p = runtime("--debug", "exec", cid, "true")
    assert p.returncode == 0
    assert 'level=debug msg="setns_init: about to exec' in p.stderr


# --- exec: runc's exit codes, --cgroup only below the container's cgroup -----------------

def test_exec_failures_exit_255(runtime, make_bundle, tmp_path):
    cid = _run_d(runtime, make_bundle(["sleep", "300"]))
    assert runtime("exec", cid, "sh", "-c", "exit 42").returncode == 42
    p = runtime("exec", "--pid-file", str(tmp_path / "no" / "dir"), cid, "true")
    assert p.returncode == 255 and "Traceback" not in p.stderr
    assert "--pid-file" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert runtime("exec", "no-such-container", "true").returncode == 255
    runtime("pause", cid, check=True)
    assert runtime("exec", cid, "true").returncode == 255
    runtime("resume", cid, check=True)


def test_exec_cgroup_joins_a_sub_cgroup_but_never_escapes(runtime, make_bundle):
    b = make_bundle(["sleep", "300"])
    b.config["linux"]["cgroupsPath"] = f"/teutest/{runtime.new_id()}"
    b.save()
    cid = _run_d(runtime, b)
    p = runtime("exec", "--cgroup", "..", cid, "true")
    assert p.returncode != 0 and ".. is not a sub cgroup path" in p.stderr
    p = runtime("exec", "--cgroup", "whaaat:/", cid, "true")
    assert p.returncode != 0 and "unknown controller" in p.stderr
    p = runtime("exec", "--cgroup", "nonexistent", cid, "true")
    assert p.returncode != 0 and "/nonexistent/cgroup.procs: no such file" in p.stderr
    saved = (runtime.root / cid / "state.json").read_text().splitlines()[0]
    memory = json.loads(saved)["cgroup"]["memory"]
    os.mkdir(os.path.join(memory, "sub"))
    try:
        p = runtime("exec", "--cgroup", "memory:sub", cid, "cat", "/proc/self/cgroup",
                    check=True)
        mem = next(line for line in p.stdout.splitlines() if ":memory:" in line)
        assert mem.endswith(b.config["linux"]["cgroupsPath"] + "/sub")
        pids = next(line for line in p.stdout.splitlines() if ":pids:" in line)
        assert pids.endswith(b.config["linux"]["cgroupsPath"])
    finally:
        runtime("kill", cid, "KILL")
        runtime("delete", "--force", cid)


# --- list, ps, events: compact JSON as Go writes it (tools grep it as text) ---------------

def test_list_ps_and_events_print_compact_json(runtime, make_bundle):
    b = make_bundle(["sleep", "300"])
    b.config["linux"].setdefault("resources", {})["memory"] = {"limit": 16 << 20}
    b.save()
    cid = _run_d(runtime, b)
    line = runtime("list", "--format", "json", check=True).stdout.strip()
    assert line.startswith('[{"ociVersion":"') and f'"id":"{cid}","pid":' in line
    assert '"status":"running","bundle":' in line and ", " not in line
    assert ", " not in runtime("ps", "--format", "json", cid, check=True).stdout
    stats = runtime("events", "--stats", cid, check=True).stdout
    assert stats.startswith(f'{{"type":"stats","id":"{cid}","data":{{')
    import subprocess

    with subprocess.Popen(runtime.cmd("events", "--interval", "100ms", cid),
                          stdout=subprocess.PIPE, text=True) as events:
        try:
            assert f'"id":"{cid}"' in events.stdout.readline()  # the first stats event
            runtime("exec", "-d", cid, "sh", "-c", "x=$(dd if=/dev/zero bs=64M count=1)",
                    check=True)
            while (got := events.stdout.readline()) and '"type":"oom"' not in got:
                pass
            assert got.strip() == f'{{"type":"oom","id":"{cid}"}}'
        finally:
            runtime("delete", "--force", cid)
            events.wait(10)


# --- kill: signal 0 probes; --all reaches a stopped container's cgroup --------------------

def test_kill_signal_zero_and_all_on_a_stopped_container(runtime, make_bundle):
    import time

    cid = _run_d(runtime, make_bundle(["sleep", "300"]))
    assert runtime("kill", cid, "0").returncode == 0
    runtime("kill", cid, "KILL", check=True)
    deadline = time.monotonic() + 10
    while runtime.state(cid)["status"] != "stopped" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runtime("kill", "--all", cid, "0").returncode == 0
    assert runtime("kill", cid, "0").returncode != 0  # no init to signal any more
    runtime("delete", cid, check=True)


# --- cgroups that exist already: frozen refused, shared warned; v1 + unified -------------

def test_frozen_cgroup_is_refused_and_a_shared_one_warned(runtime, make_bundle):
    path = f"/teutest/{runtime.new_id()}"
    freezer = "/sys/fs/cgroup/freezer" + path
    os.makedirs(freezer)
    try:
        with open(os.path.join(freezer, "freezer.state"), "w") as f:
            f.write("FROZEN")
        b = make_bundle(["true"])
        b.config["linux"]["cgroupsPath"] = path
        b.save()
        p = runtime("create", "-b", str(b.path), runtime.new_id(), timeout=20)
        assert p.returncode == 1 and "container's cgroup unexpectedly frozen" in p.stderr
        assert os.path.isdir(freezer)  # not ours to remove
    finally:
        with open(os.path.join(freezer, "freezer.state"), "w") as f:
            f.write("THAWED")
        os.rmdir(freezer)
    b = make_bundle(["sleep", "300"])
    b.config["linux"]["cgroupsPath"] = path
    b.save()
    first = _run_d(runtime, b)
    second = runtime.new_id()
    p = runtime("run", "-d", "-b", str(b.path), second, check=True)
    assert "container's cgroup is not empty: 1 process(es) found" in p.stderr
    runtime("delete", "--force", second)
    runtime("delete", "--force", first)


def test_unified_resources_on_a_v1_host_are_an_invalid_configuration(runtime, make_bundle):
    b = make_bundle(["true"])
    b.config["linux"]["cgroupsPath"] = f"/teutest/{runtime.new_id()}"
    b.config["linux"].setdefault("resources", {})["unified"] = {"memory.min": "131072"}
    b.save()
    p = runtime("run", "-b", str(b.path), runtime.new_id())
    assert p.returncode != 0 and "invalid configuration" in p.stderr


def test_exec_into_a_paused_container_says_so(runtime, make_bundle):
    cid = _run_d(runtime, make_bundle(["sleep", "300"]))
    runtime("pause", cid, check=True)
    p = runtime("exec", cid, "true")
    assert p.returncode == 255 and "cannot exec in a paused container" in p.stderr
    runtime("resume", cid, check=True)


# --- devices: linux.devices are made, but reachable only as linux.resources.devices say ---

def test_device_made_through_linux_devices_obeys_the_deny_rules(runtime, make_bundle):
    b = make_bundle(["sleep", "300"])
    b.config["linux"]["devices"] = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}]
    b.config["linux"].setdefault("resources", {})["devices"] = [
        {"allow": False, "access": "rwm"},
        {"allow": False, "type": "c", "major": 1, "minor": 11, "access": "rwa"}]  # runc's "a"
    b.save()
    cid = _run_d(runtime, b)
    p = runtime("exec", cid, "sh", "-c", "ls /dev/kmsg && head -c 1 /dev/kmsg")
    assert p.returncode == 1 and "/dev/kmsg" in p.stdout
    assert "Operation not permitted" in p.stderr


# --- update: flags after the id, as urfave/cli (runc) reorders them ----------------------

def test_update_flags_after_the_id(runtime, make_bundle):
    b = make_bundle(["sleep", "300"])
    b.config["linux"]["cgroupsPath"] = path = f"/teutest/{runtime.new_id()}"
    b.save()
    cid = _run_d(runtime, b)
    runtime("update", cid, "--cpuset-cpus", "0", "--cpu-period", "900000", check=True)
    with open(f"/sys/fs/cgroup/cpuset{path}/cpuset.cpus") as f:
        assert f.read().strip() == "0"
    with open(f"/sys/fs/cgroup/cpu{path}/cpu.cfs_period_us") as f:
        assert f.read().strip() == "900000"
    p = runtime("update", cid, "stray")
    assert p.returncode != 0 and "unexpected arguments" in p.stderr


# --- seccomp: calls newer than the profile get ENOSYS, not the default errno -------------

def test_seccomp_calls_above_the_profile_get_enosys(tmp_path):
    import ctypes

    from teu.runtime.seccomp.cache import compile_cached

    needed = ["write", "exit", "exit_group", "brk", "mmap", "munmap", "mprotect", "futex",
              "rt_sigprocmask", "rt_sigaction", "madvise", "getpid", "close"]
    seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
               "syscalls": [{"names": [*needed, "process_vm_writev"], "action": "SCMP_ACT_ALLOW"}]}
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    for cache_dir in (None, str(tmp_path / "cache"), str(tmp_path / "cache")):  # miss, hit
        flt = compile_cached(seccomp, cache_dir)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never return from this branch
            try:
                flt.load()
                answers = []
                for nr in (1000, 110):  # 1000: no such call yet; 110: getppid, unlisted
                    libc.syscall(ctypes.c_long(nr))
                    answers.append(ctypes.get_errno())
                os.write(w, json.dumps(answers).encode())
            finally:
                os._exit(0)
        os.close(w)
        try:
            got = json.loads(os.read(r, 100))
        finally:
            os.close(r)
            os.waitpid(pid, 0)
        assert got == [errno.ENOSYS, errno.EPERM]


def test_start_container_hooks_run_under_the_containers_seccomp(runtime, make_bundle):
    b = make_bundle(["true"])
    b.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                    "syscalls": [{"names": ["mkdir", "mkdirat"],
                                                  "action": "SCMP_ACT_KILL"}]}
    b.config["hooks"] = {"startContainer": [{"path": "/bin/sh",
                                             "args": ["sh", "-c", "mkdir /tmp/hook"]}]}
    b.save()
    p = runtime("run", "-b", str(b.path), runtime.new_id())
    assert p.returncode != 0
    assert "error running hook" in p.stderr and "signal: bad system call" in p.stderr
    assert not (b.rootfs / "tmp" / "hook").exists()


def test_create_container_hooks_run_in_the_rootfs(runtime, make_bundle):
    b = make_bundle(["true"])
    b.config["hooks"] = {"createContainer": [{"path": "/bin/sh",
                                              "args": ["sh", "-c", "touch ./made-by-hook"]}]}
    b.save()
    runtime("run", "-b", str(b.path), runtime.new_id(), check=True)
    assert (b.rootfs / "made-by-hook").exists()


# --- mounts: read-only /dev still gets devpts; rro is recursive (mount_setattr) ----------

def test_read_only_dev_with_devpts_under_it(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "grep -E '^(tmpfs|devpts) /dev' /proc/mounts; ls /dev/null"])
    for m in b.config["mounts"]:
        if m["destination"] == "/dev":
            m["options"] = [*m.get("options", []), "ro"]
    b.save()
    p = runtime("run", "-b", str(b.path), runtime.new_id(), check=True)
    dev = next(line for line in p.stdout.splitlines() if line.startswith("tmpfs /dev "))
    assert " ro," in dev and "nosuid" in dev
    assert any(line.startswith("devpts /dev/pts ") for line in p.stdout.splitlines())


def test_rro_makes_every_submount_read_only(runtime, make_bundle, tmp_path):
    import subprocess

    volume = tmp_path / "vol"
    (volume / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "none", str(volume / "sub")], check=True)
    try:
        b = make_bundle(["sh", "-c", "touch /mnt/sub/x; touch /mnt/y"])
        b.config["mounts"].append({"source": str(volume), "destination": "/mnt",
                                   "type": "bind", "options": ["rbind", "rro"]})
        b.save()
        p = runtime("run", "-b", str(b.path), runtime.new_id())
        assert p.stderr.count("Read-only file system") == 2
        assert not (volume / "sub" / "x").exists() and not (volume / "y").exists()
    finally:
        subprocess.run(["umount", str(volume / "sub")], check=True)


# --- --no-pivot: the host's proc and sysfs are not left reachable -----------------------

def test_no_pivot_leaves_no_host_proc_to_remount(runtime, make_bundle):
    b = make_bundle(["unshare", "-mrpf", "sh", "-c", "mount -t proc none /proc && echo mounted"])
    caps = b.config["process"]["capabilities"]
    for key in ("bounding", "permitted", "effective"):
        caps[key] = [*caps.get(key, []), "CAP_SETFCAP"]
    b.save()
    p = runtime("run", "--no-pivot", "-b", str(b.path), runtime.new_id())
    assert p.returncode != 0 and "mounted" not in p.stdout
    assert "mount: permission denied" in p.stderr
    # The runtime's own mount namespace still has its /proc.
    assert os.path.exists("/proc/self/mountinfo")


# --- terminals: the pty belongs to the process's user (its group stays tty's) ------------

def test_pty_is_owned_by_the_process_user(runtime, make_bundle, tmp_path):
    from tests.integration.test_runtime_exec_hooks_tty import ConsoleSocket

    b = make_bundle(["sh", "-c", "stat -c %u:%g $(tty)"], terminal=True)
    b.config["process"]["user"] = {"uid": 1000, "gid": 100}
    b.save()
    console = ConsoleSocket(tmp_path / "console.sock")
    try:
        cid = runtime.new_id()
        runtime("create", "-b", str(b.path), "--console-socket", console.path, cid, check=True)
        runtime("start", cid, check=True)
        out = console.read_all()
    finally:
        console.close()
    assert out.split()[-1] == "1000:5"  # gid=5: devpts' mount option in the default spec


# --- user namespaces: bind sources the mapped root could not reach -----------------------

@pytest.mark.parametrize("time_ns", [False, True], ids=["cloned", "stage1"])
def test_userns_bind_sources_behind_a_0700_directory(runtime, make_bundle, tmp_path, time_ns):
    """The mapped root could not walk to these sources: the host's root opens them in
    the container's mount namespace, whether the runtime clones the init (a user
    namespace with bind mounts: the runtime opens them itself) or stage 1 makes it (a
    time namespace too: stage 1's helper). A file bound read-only stays so; a
    destination through the image's absolute symlink lands inside the rootfs. The
    runtime is back in its own mount namespace and working directory after (a relative
    --pid-file is written after the opening)."""
    from tests.integration.test_runtime_security_limits import _in_user_namespace

    hidden = tmp_path / "hidden"
    (hidden / "dir").mkdir(parents=True)
    (hidden / "dir" / "foo.txt").write_text("x")
    (hidden / "file").write_text("hello\n")
    script = "stat -c %s /tmp/m/foo.txt; cat /tmp/f; (echo y > /tmp/f) 2>/dev/null || echo ro"
    b = make_bundle(["sh", "-c", script + "; cat /link/f2"])
    _in_user_namespace(b)
    if time_ns:
        b.config["linux"]["namespaces"].append({"type": "time"})
    (b.rootfs / "link").symlink_to("/elsewhere")  # resolved inside the root
    os.lchown(b.rootfs / "link", 100000, 100000)
    b.config["mounts"] += [
        {"source": str(hidden / "dir"), "destination": "/tmp/m", "options": ["bind"]},
        {"source": str(hidden / "file"), "destination": "/tmp/f", "options": ["bind", "ro"]},
        {"source": str(hidden / "file"), "destination": "/link/f2", "options": ["bind"]}]
    b.save()
    hidden.chmod(0o700)
    log = tmp_path / "log.json"
    here = tmp_path / "cwd"
    here.mkdir()
    p = runtime("--log", str(log), "--log-format", "json", "--debug", "run", "-b", str(b.path),
                "--pid-file", "init.pid", runtime.new_id(), cwd=here)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["1", "hello", "ro", "hello"]
    assert (here / "init.pid").read_text().isdigit()
    assert (b.rootfs / "elsewhere" / "f2").is_file() and not os.path.exists("/elsewhere")
    setup = [e["msg"] for e in map(json.loads, log.read_text().splitlines())
             if "nsexec container setup" in e["msg"]]
    assert setup == ["=> nsexec container setup (stage 1: namespaces)" if time_ns else
                     "=> nsexec container setup (the runtime clones the init: no stage 1)"]


def test_start_container_hooks_get_no_inherited_fds(runtime, make_bundle):
    b = make_bundle(["true"])
    b.config["hooks"] = {"startContainer": [{"path": "/bin/sh", "args": [
        "sh", "-c", "ls /proc/self/fd > /tmp/hook-fds"]}]}
    b.config["root"]["readonly"] = False
    b.save()
    r, w = os.pipe()  # inherited by teu-runtime, as a shell's or a test runner's fds are
    try:
        runtime("run", "-b", str(b.path), runtime.new_id(), check=True, pass_fds=(r, w))
    finally:
        os.close(r)
        os.close(w)
    # 0, 1, 2 and the one ls opens to read the directory: nothing else.
    assert len((b.rootfs / "tmp" / "hook-fds").read_text().split()) == 4


def test_proc_on_a_symlink_is_refused(runtime, make_bundle):
    b = make_bundle(["true"])
    (b.rootfs / "proc").rmdir()
    (b.rootfs / "proc").symlink_to("/elsewhere")
    p = runtime("run", "-b", str(b.path), runtime.new_id())
    assert p.returncode == 1 and "must be mounted on ordinary directory" in p.stderr
    assert not (b.rootfs / "elsewhere").exists()
