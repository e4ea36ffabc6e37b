"""Real peers drive teu-runtime: podman (through conmon), buildah, containerd (runc shim).

Every peer gets private storage and state under the test's temporary directory
(and, for buildah and containerd, a private teu-runtime state root), so nothing
of the host's podman, buildah or containerd is used or changed. No
networking: podman and buildah run with --network none (their default would
make a CNI bridge on the host), and ctr without --cni only gets a loopback.
Images are made locally from the busybox rootfs; no registry is involved.

Cleanup, also when a test fails: the peers remove their containers, then any
process still started from our directory is killed by its PID, any mount left
under it is unmounted, and containerd (started here) is stopped by its PID.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.proc_helpers import kill_pids, pids_mentioning, wait_until

pytestmark = [pytest.mark.root, pytest.mark.peer]

# root here lacks CAP_SYS_RESOURCE: podman's default rlimits cannot be set.
ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
IMAGE = "localhost/teu-busybox:test"


def runtime_path() -> str:
    """teu-runtime installed next to this interpreter (absolute; not the slow pyenv shim)."""
    candidate = Path(sys.executable).parent / "teu-runtime"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("teu-runtime")
    if not found:
        pytest.skip("teu-runtime is not installed: run `make install`")
    return os.path.realpath(found)


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (see deps/debian-packages.txt)")


def sh(cmd: list[str], timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    if "input" not in kw:
        kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(cmd, timeout=timeout, **kw)


def ok(p: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert p.returncode == 0, (f"{' '.join(map(str, p.args))} -> {p.returncode}\n"
                               f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def rootfs_tar(rootfs: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(str(rootfs / name), arcname=name)
    return buf.getvalue()


def docker_archive(rootfs: Path, out: Path, tag: str) -> None:
    """A docker-archive (`docker save` format) with one layer: what `ctr images import` reads."""
    import hashlib

    layer = rootfs_tar(rootfs)
    diff_id = hashlib.sha256(layer).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
    }).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag],
                            "Layers": [f"{diff_id}/layer.tar"]}]).encode()
    with tarfile.open(out, "w") as t:
        for name, data in ((config_name, config), (f"{diff_id}/layer.tar", layer),
                           ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


# -- cleanup helpers ---------------------------------------------------------------

def mounts_under(top: Path) -> list[str]:
    prefix = str(top).rstrip("/") + "/"
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                found.append(point)
    return found


def unmount_under(top: Path) -> None:
    """Unmount what a peer left mounted below top, deepest first."""
    for point in sorted(mounts_under(top), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


def cgroup_parents(name: str) -> list[str]:
    """Where a top-level cgroup `name` would be, in every hierarchy of this host."""
    top = "/sys/fs/cgroup"
    if os.path.exists(os.path.join(top, "cgroup.controllers")):
        return [os.path.join(top, name)]
    return [os.path.join(top, h, name) for h in sorted(os.listdir(top))
            if os.path.isdir(os.path.join(top, h)) and not os.path.islink(os.path.join(top, h))]


def remove_cgroups(paths: list[str]) -> None:
    """rmdir these cgroups and what is below them, bottom-up; a busy one stays."""
    for path in paths:
        for directory, _, _ in os.walk(path, topdown=False) if os.path.isdir(path) else ():
            try:
                os.rmdir(directory)
            except OSError:
                pass


def host_memory_limit(pid: int) -> int:
    """The memory limit of the cgroup `pid` is in, read on the host (v1 or v2)."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    for _, controllers, path in lines:
        if "memory" in controllers.split(","):
            with open(f"/sys/fs/cgroup/memory{path}/memory.limit_in_bytes") as f:
                return int(f.read())
    path = next(p for _, c, p in lines if c == "")
    with open(f"/sys/fs/cgroup{path}/memory.max") as f:
        value = f.read().strip()
    return -1 if value == "max" else int(value)


def read_until_closed(fd: int, timeout: float = 60) -> bytes:
    """What a pty master gives until every holder of its slave is gone (EIO)."""
    import select

    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


# -- podman ------------------------------------------------------------------------

class Podman:
    """podman with private storage and tmpdir, driving teu-runtime.

    teu-runtime keeps its state in its default root here: podman 4.3 leaves
    --runtime-flag out of `delete` (with runc too), so a private --root would
    leave every container's state behind. Container ids are unique; the tests
    look only at their own.
    """

    def __init__(self, top: Path, runtime: str) -> None:
        from teu.runtime.state import DEFAULT_ROOT

        self.top = top
        self.runtime = runtime
        self.state = Path(DEFAULT_ROOT)
        self.storage = ["--root", str(top / "storage"), "--runroot", str(top / "run"),
                        "--storage-driver", "vfs"]
        self.base = ["podman", *self.storage, "--tmpdir", str(top / "tmp"),
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                     "--runtime", runtime]
        # The same ulimits for containers podman makes on its own (a pod's infra).
        conf = top / "containers.conf"
        limits = ", ".join(f'"{u}"' for u in ULIMITS[1::2])
        conf.write_text(f"[containers]\ndefault_ulimits = [{limits}]\n")
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}

    def __call__(self, *args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
        return sh([*self.base, *args], timeout=timeout, env=self.env, **kw)

    def run(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self("run", "--network", "none", *ULIMITS, *args, **kw)

    def runtime_ids(self) -> list[str]:
        return sorted(e for e in os.listdir(self.state) if not e.startswith(".")) \
            if self.state.exists() else []

    def container_ids(self) -> list[str]:
        return self("ps", "--all", "--quiet", "--no-trunc").stdout.split()


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory, rootfs_template: Path) -> Iterator[Podman]:
    need("podman", "conmon")
    top = tmp_path_factory.mktemp("podman")
    p = Podman(top, runtime_path())
    tarball = top / "busybox.tar"
    tarball.write_bytes(rootfs_tar(rootfs_template))
    made: set[str] = set()
    # The runtime makes the parent cgroup of podman's cgroupsPath (and podman puts
    # conmon in libpod_parent/conmon); remove it afterwards if it is ours.
    new_cgroups = [d for d in cgroup_parents("libpod_parent") if not os.path.exists(d)]
    try:
        ok(p("import", str(tarball), IMAGE))
        yield p
    finally:
        made.update(p.container_ids())
        p("rm", "--all", "--force", "--time", "0")
        kill_pids(pids_mentioning(str(top)))
        for cid in made & set(p.runtime_ids()):  # state a failed test left in the runtime
            sh([p.runtime, "--root", str(p.state), "delete", "--force", cid])
        p("rmi", "--all", "--force")
        remove_cgroups(new_cgroups)
        unmount_under(top)
        shutil.rmtree(top, ignore_errors=True)


def test_podman_run_output_and_exit_code(podman: Podman, tmp_path: Path) -> None:
    cidfile = tmp_path / "cid"
    p = podman.run("--rm", "--cidfile", str(cidfile), IMAGE,
                   "sh", "-c", "echo hello from teu; echo oops >&2; exit 3")
    assert p.returncode == 3, p.stderr
    assert p.stdout == "hello from teu\n"
    assert "oops" in p.stderr
    assert cidfile.read_text().strip() not in podman.runtime_ids()  # teu-runtime delete ran


def test_podman_run_missing_program_is_127(podman: Podman) -> None:
    p = podman.run("--rm", IMAGE, "/no/such/program")
    assert p.returncode == 127, p.stderr


def test_podman_run_in_a_user_namespace(podman: Podman) -> None:
    """podman's --uidmap container: a user namespace with podman's bind mounts
    (/etc/hosts, /etc/hostname, /etc/resolv.conf, /run/.containerenv), whose sources
    teu-runtime opens as the host's root (bind_sources)."""
    p = podman.run("--rm", "--hostname", "userns-box", "--uidmap", "0:100000:65536",
                   "--gidmap", "0:100000:65536", IMAGE, "sh", "-c",
                   "cat /proc/self/uid_map /etc/hostname; echo; id -u; test -e /run/.containerenv")
    assert ok(p).stdout.split() == ["0", "100000", "65536", "userns-box", "0"]


def test_podman_run_stdin_and_user(podman: Podman) -> None:
    p = podman.run("--rm", "-i", "--user", "1000:1000", IMAGE, "sh", "-c", "id -u; cat",
                   input="piped in\n")
    assert ok(p).stdout == "1000\npiped in\n"


def test_podman_run_tty(podman: Podman) -> None:
    p = ok(podman.run("--rm", "-t", IMAGE, "sh", "-c", "tty; [ -t 0 ] && echo stdin-is-tty"))
    lines = p.stdout.replace("\r", "").split()
    assert lines == ["/dev/pts/0", "stdin-is-tty"]


def test_podman_run_interactive_tty(podman: Podman) -> None:
    """-it: conmon holds the pty master teu-runtime sent over the console socket and
    copies podman's terminal (a pty made here) to it both ways."""
    master, slave = os.openpty()
    try:
        p = subprocess.Popen([*podman.base, "run", "--rm", "-it", "--network", "none", *ULIMITS,
                              IMAGE, "sh", "-c", "read line; echo got:$line; exit 6"],
                             stdin=slave, stdout=slave, stderr=slave, env=podman.env,
                             start_new_session=True)
        os.close(slave)
        slave = -1
        os.write(master, b"hello\n")
        out = read_until_closed(master)
        code = p.wait(timeout=30)
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert b"got:hello" in out, out
    assert code == 6


def test_podman_pod_shares_namespaces(podman: Podman) -> None:
    """A pod: its infra container's ipc and uts namespaces joined by path."""
    pod = "teu-peer-pod"
    ok(podman("pod", "create", "--network", "none", "--name", pod))
    try:
        ok(podman.run("-d", "--pod", pod, "--name", "teu-peer-pod-a", IMAGE,
                      "sh", "-c", "echo shared > /dev/shm/x; sleep 1000"))
        ns = "readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts"
        wait_until(lambda: podman("exec", "teu-peer-pod-a", "cat", "/dev/shm/x").stdout
                   == "shared\n", what="the first container to write /dev/shm/x")
        a = ok(podman("exec", "teu-peer-pod-a", "sh", "-c", ns)).stdout
        b = ok(podman.run("--rm", "--pod", pod, IMAGE, "sh", "-c",
                          f"hostname; cat /dev/shm/x; {ns}")).stdout.split()
        assert b == [pod, "shared", *a.split()]
    finally:
        podman("pod", "rm", "--force", "--time", "0", pod)


def test_podman_detached_exec_pause_stop(podman: Podman) -> None:
    name = "teu-peer-detached"
    script = 'trap "echo got TERM; exit 7" TERM; echo started; while :; do sleep 0.1; done'
    cid = ok(podman.run("-d", "--name", name, IMAGE, "sh", "-c", script)).stdout.strip()
    assert cid in podman.runtime_ids()
    try:
        e = podman("exec", name, "sh", "-c", "echo in exec; exit 5")
        assert (e.returncode, e.stdout) == (5, "in exec\n"), e.stderr
        ok(podman("exec", "-d", name, "sh", "-c", "echo detached > /tmp/mark"))
        wait_until(lambda: podman("exec", name, "cat", "/tmp/mark").stdout == "detached\n",
                   what="the detached exec to run")
        t = ok(podman("exec", "-t", name, "tty"))
        assert t.stdout.strip().startswith("/dev/pts/")

        ok(podman("pause", name))
        state = json.loads(ok(sh([podman.runtime, "--root", str(podman.state), "state", cid]))
                           .stdout)
        assert state["status"] == "paused"
        assert ok(podman("inspect", "--format", "{{.State.Status}}", name)).stdout.strip() \
            == "paused"
        ok(podman("unpause", name))
        assert ok(podman("inspect", "--format", "{{.State.Status}}", name)).stdout.strip() \
            == "running"
        ok(podman("exec", name, "true"))

        # stop sends SIGTERM through `teu-runtime kill`; the trap's exit code comes back.
        ok(podman("stop", "--time", "20", name))
        inspect = ok(podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}",
                            name)).stdout.split()
        assert inspect == ["exited", "7"]
        assert "got TERM" in ok(podman("logs", name)).stdout
    finally:
        podman("rm", "--force", "--time", "0", name)
    assert cid not in podman.runtime_ids()


def test_podman_rm_force_kills_running_container(podman: Podman) -> None:
    name = "teu-peer-rmf"
    cid = ok(podman.run("-d", "--name", name, IMAGE, "sleep", "1000")).stdout.strip()
    pid = int(ok(podman("inspect", "--format", "{{.State.Pid}}", name)).stdout)
    assert pid > 0 and os.path.exists(f"/proc/{pid}")
    ok(podman("rm", "--force", "--time", "0", name))
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), what="the container's init to die")
    assert podman("inspect", name).returncode != 0
    assert cid not in podman.runtime_ids()


def test_podman_memory_limit_and_update(podman: Podman) -> None:
    limit = ("cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null"
             " || cat /sys/fs/cgroup/memory.max")
    p = ok(podman.run("--rm", "--memory", "64m", IMAGE, "sh", "-c", limit))
    assert p.stdout.strip() == str(64 << 20)

    name = "teu-peer-update"
    ok(podman.run("-d", "--name", name, "--memory", "64m", IMAGE, "sleep", "1000"))
    try:
        # podman update writes the resources JSON and calls `teu-runtime update --resources`.
        ok(podman("update", "--memory", "32m", "--cpus", "0.5", name))
        assert ok(podman("exec", name, "sh", "-c", limit)).stdout.strip() == str(32 << 20)
        quota = ok(podman("exec", name, "sh", "-c",
                          "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null"
                          " || cut -d' ' -f1 /sys/fs/cgroup/cpu.max")).stdout.strip()
        assert quota == "50000"
        ok(podman("exec", name, "sh", "-c", "echo still > /dev/null"))  # devices untouched
    finally:
        podman("rm", "--force", "--time", "0", name)


def test_podman_cap_drop(podman: Podman) -> None:
    def cap_eff(*flags: str) -> int:
        out = ok(podman.run("--rm", *flags, IMAGE, "grep", "CapEff", "/proc/self/status"))
        return int(out.stdout.split()[1], 16)

    default = cap_eff()
    assert default & (1 << 0)  # CAP_CHOWN is in podman's default set
    assert cap_eff("--cap-drop", "chown") == default & ~(1 << 0)
    assert cap_eff("--cap-drop", "all") == 0


def test_podman_read_only(podman: Podman) -> None:
    p = podman.run("--rm", "--read-only", IMAGE, "sh", "-c",
                   "touch /written 2>&1; echo rc=$?; touch /tmp/ok && echo tmp-writable")
    out = ok(p).stdout
    assert "Read-only file system" in out
    assert "rc=1" in out
    assert "tmp-writable" in out  # --read-only-tmpfs (the default) keeps /tmp writable


# -- buildah -----------------------------------------------------------------------

def test_buildah_bud_with_run_steps(podman: Podman, tmp_path: Path) -> None:
    need("buildah")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Containerfile").write_text(
        f"FROM {IMAGE}\n"
        "RUN echo hi > /hello && cat /hello\n"
        'RUN ["sh", "-c", "echo second >> /hello; id -u > /uid"]\n'
        "ENV GREETING=bonjour\n"
        'RUN echo "$GREETING" > /greeting && test ! -e /proc/kcore || true\n'
    )
    buildah = ["buildah", *podman.storage]
    state = tmp_path / "runtime-state"
    runtime = ["--runtime", podman.runtime, "--runtime-flag", f"root={state}"]
    tag = "localhost/teu-built:test"
    built = ok(sh([*buildah, "bud", *runtime, "--isolation", "oci", "--network", "none",
                   "--layers=false", "-t", tag, str(ctx)], timeout=300))
    assert "hi\n" in built.stdout  # the first RUN's output, from inside the container
    try:
        # Check the image's content with buildah itself, running in it through teu-runtime.
        working = ok(sh([*buildah, "from", "--pull-never", tag])).stdout.strip()
        try:
            out = ok(sh([*buildah, "run", *runtime, "--isolation", "oci", "--network", "none",
                         working, "--", "cat", "/hello", "/uid", "/greeting"]))
            assert out.stdout == "hi\nsecond\n0\nbonjour\n"
        finally:
            sh([*buildah, "rm", working])
    finally:
        sh([*buildah, "rmi", "--force", tag])
    # buildah deleted each step's container (.cache holds compiled seccomp filters)
    assert [e for e in os.listdir(state) if not e.startswith(".")] == []


# -- containerd --------------------------------------------------------------------

CONTAINERD_CONFIG = """version = 2
root = "{top}/root"
state = "{top}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "{top}/containerd.sock"
[ttrpc]
  address = "{top}/containerd.sock.ttrpc"
[debug]
  address = "{top}/debug.sock"
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{top}/opt"
"""


class Containerd:
    """A containerd of our own and `ctr` talking to it, with teu-runtime as the runc binary."""

    namespace = "teu-peer"

    def __init__(self, top: Path, runtime: str) -> None:
        self.top = top
        self.runtime = runtime
        self.sock = str(top / "containerd.sock")
        self.runc_root = top / "runtime-state"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        config = self.top / "config.toml"
        config.write_text(CONTAINERD_CONFIG.format(top=self.top))
        log = open(self.top / "containerd.log", "w")  # noqa: SIM115 - kept for the daemon
        self.proc = subprocess.Popen(["containerd", "--config", str(config)], stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + 30
        while self.ctr("version").returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("containerd did not start:\n"
                                     + (self.top / "containerd.log").read_text()[-3000:])
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def ctr(self, *args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
        return sh(["ctr", "--address", self.sock, "--namespace", self.namespace, *args],
                  timeout=timeout, **kw)

    def run_flags(self) -> list[str]:
        return ["--runc-binary", self.runtime, "--runc-root", str(self.runc_root),
                "--fifo-dir", str(self.top / "fifo")]

    def runtime_ids(self) -> list[str]:
        d = self.runc_root / self.namespace
        return sorted(e for e in os.listdir(d) if not e.startswith(".")) if d.exists() else []

    def remove_all(self) -> None:
        for task in self.ctr("task", "ls", "--quiet").stdout.split():
            self.ctr("task", "kill", "--signal", "SIGKILL", task)
            self.ctr("task", "rm", "--force", task)
        for container in self.ctr("containers", "ls", "--quiet").stdout.split():
            self.ctr("containers", "rm", container)
        for image in self.ctr("images", "ls", "--quiet").stdout.split():
            self.ctr("images", "rm", image)


@pytest.fixture(scope="module")
def containerd(tmp_path_factory: pytest.TempPathFactory,
               rootfs_template: Path) -> Iterator[Containerd]:
    need("containerd", "ctr", "containerd-shim-runc-v2")
    top = tmp_path_factory.mktemp("containerd")
    c = Containerd(top, runtime_path())
    # The shims' sockets go to /run/containerd/s whatever the config says: remove
    # what of that we made (only empty directories, never another containerd's).
    made = [d for d in ("/run/containerd", "/run/containerd/s", "/run/containerd/fifo")
            if not os.path.exists(d)]
    new_cgroups = [d for d in cgroup_parents(c.namespace) if not os.path.exists(d)]
    try:
        c.start()
        archive = top / "busybox-docker.tar"
        docker_archive(rootfs_template, archive, "teu-busybox:test")
        ok(c.ctr("images", "import", str(archive)))
        yield c
    finally:
        try:
            if c.proc is not None and c.proc.poll() is None:
                c.remove_all()
        finally:
            c.stop()
            kill_pids(pids_mentioning(str(top)))  # shims and containers left behind
            unmount_under(top)
            shutil.rmtree(top, ignore_errors=True)
            for d in reversed(made):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
            remove_cgroups(new_cgroups)


CTR_IMAGE = "docker.io/library/teu-busybox:test"


def test_ctr_run_output_and_exit_code(containerd: Containerd) -> None:
    p = containerd.ctr("run", "--rm", *containerd.run_flags(), CTR_IMAGE, "teu-ctr-run",
                       "sh", "-c", "echo hello from ctr; echo to-stderr >&2; exit 3")
    assert p.returncode == 3, p.stderr
    assert p.stdout == "hello from ctr\n"
    assert "to-stderr" in p.stderr
    assert containerd.runtime_ids() == []  # the shim ran teu-runtime delete


def test_ctr_run_tty(containerd: Containerd) -> None:
    """ctr run -t needs its stdin to be a terminal: give it a pty."""
    master, slave = os.openpty()
    try:
        p = subprocess.Popen(["ctr", "--address", containerd.sock, "--namespace",
                              containerd.namespace, "run", "--rm", "-t",
                              *containerd.run_flags(), CTR_IMAGE, "teu-ctr-tty",
                              "sh", "-c", "tty; exit 4"],
                             stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        slave = -1
        out = read_until_closed(master)
        code = p.wait(timeout=30)
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert b"/dev/pts/0" in out, out
    assert code == 4


def test_ctr_detached_exec_ps_pause_kill(containerd: Containerd) -> None:
    cid = "teu-ctr-detached"
    ctr = containerd.ctr
    ok(ctr("run", "-d", *containerd.run_flags(), "--memory-limit", str(64 << 20), CTR_IMAGE,
           cid, "sh", "-c", 'trap "exit 9" TERM; while :; do sleep 0.1; done'))
    try:
        assert cid in containerd.runtime_ids()
        tasks = ok(ctr("task", "ls")).stdout
        pid = int(next(line.split()[1] for line in tasks.splitlines()
                       if line.split()[:1] == [cid]))
        assert host_memory_limit(pid) == 64 << 20

        e = ctr("task", "exec", "--exec-id", "e1", cid, "sh", "-c", "echo in exec; exit 5")
        assert (e.returncode, e.stdout) == (5, "in exec\n"), e.stderr

        # `ctr task ps` asks the shim, which runs `teu-runtime ps --format json`.
        listed = [int(line.split()[0]) for line in ok(ctr("task", "ps", cid)).stdout
                  .splitlines()[1:] if line.split()]
        assert pid in listed

        ok(ctr("task", "pause", cid))
        assert "PAUSED" in ok(ctr("task", "ls")).stdout
        ok(ctr("task", "resume", cid))
        assert "RUNNING" in ok(ctr("task", "ls")).stdout

        ok(ctr("task", "kill", "--signal", "SIGTERM", cid))
        wait_until(lambda: "STOPPED" in ctr("task", "ls").stdout, what="the task to stop")
        ok(ctr("task", "rm", cid))
    finally:
        ctr("task", "kill", "--signal", "SIGKILL", cid)
        ctr("task", "rm", "--force", cid)
        ctr("containers", "rm", cid)
    assert cid not in containerd.runtime_ids()
    assert not os.path.exists(f"/proc/{pid}")
