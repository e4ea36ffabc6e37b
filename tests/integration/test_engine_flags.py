"""run/create flags of issue 8, each group checked by its effect inside a real container
(the docker behaviour each pins is in the test's docstring)."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def sh(teu, script: str, *flags: str) -> str:  # noqa: ANN001
    return teu.ok("run", "--rm", *flags, IMAGE, "sh", "-c", script)


def ns(kind: str) -> str:
    return os.readlink(f"/proc/self/ns/{kind}")


def test_namespace_flags(teu) -> None:
    """--pid/--ipc host|container:X, --uts host, --cgroupns private, --ipc none,
    --userns host (others refused), as docker."""
    teu.ok("run", "-d", "--name", "other", "--ipc", "shareable", IMAGE, "sleep", "60")
    other_ipc = teu.ok("exec", "other", "readlink", "/proc/self/ns/ipc").strip()
    out = sh(teu, "ps -o comm; readlink /proc/self/ns/ipc", "--pid", "container:other",
             "--ipc", "container:other").split()
    assert "sleep" in out and out[-1] == other_ipc
    with open("/proc/1/comm") as f:
        host_init = f.read().strip()
    out = sh(teu, "cat /proc/1/comm; readlink /proc/self/ns/ipc; hostname", "--pid", "host",
             "--ipc", "host", "--uts", "host").split()
    assert out == [host_init, ns("ipc"), os.uname().nodename]
    assert sh(teu, "readlink /proc/self/ns/cgroup", "--cgroupns", "private").strip() != \
        ns("cgroup")
    assert sh(teu, "readlink /proc/self/ns/cgroup").strip() == ns("cgroup")  # v1: host
    assert sh(teu, "test -e /dev/shm && echo shm || echo none", "--ipc", "none").strip() \
        == "none"
    assert sh(teu, "readlink /proc/self/ns/user", "--userns", "host").strip() == ns("user")
    p = teu("run", "--rm", "--userns", "keep-id", IMAGE, "true")
    assert p.returncode == 125 and "--userns keep-id" in p.stderr
    p = teu("run", "--rm", "--pid", "container:nosuch", IMAGE, "true")
    assert p.returncode != 0 and "nosuch" in p.stderr
    info = teu.inspect(teu.ok("create", "--pid", "host", "--ipc", "shareable", IMAGE,
                              "true").strip())["HostConfig"]
    assert (info["PidMode"], info["IpcMode"], info["UTSMode"]) == ("host", "shareable", "")


def test_ipc_container_shares_dev_shm(teu) -> None:
    """--ipc container:X: X's /dev/shm too (POSIX shared memory lives there), both ways,
    for --rm and -d joiners, and X's files outlive a joiner's removal; only a donor
    made --ipc shareable (or host) may be joined, with docker 20.10's words."""
    teu.ok("run", "-d", "--name", "donor", "--ipc", "shareable", IMAGE, "sh", "-c",
           "echo from-donor > /dev/shm/d; sleep 60")
    teu.ok("exec", "donor", "test", "-e", "/dev/shm/d")  # -d returns once it runs
    assert sh(teu, "cat /dev/shm/d; echo from-joiner > /dev/shm/j", "--ipc",
              "container:donor") == "from-donor\n"
    assert teu.ok("exec", "donor", "cat", "/dev/shm/j") == "from-joiner\n"
    teu.ok("run", "-d", "--name", "joiner", "--ipc", "container:donor", IMAGE, "sleep", "60")
    assert teu.ok("exec", "joiner", "ls", "/dev/shm").split() == ["d", "j"]
    teu.ok("rm", "-f", "joiner")
    assert teu.ok("exec", "donor", "ls", "/dev/shm").split() == ["d", "j"]
    teu.ok("run", "-d", "--name", "private", IMAGE, "sleep", "60")
    p = teu("run", "--rm", "--ipc", "container:private", IMAGE, "true")
    pid = teu.inspect("private")["Id"]
    assert (p.returncode, p.stderr) == (125, f"teu: Error: can't join IPC of container {pid}: "
                                        "non-shareable IPC (hint: use IpcMode:shareable for "
                                        "the donor container).\n")
    teu.ok("rm", "-f", "donor", "private")


def test_shm_sysctl_groups_and_oom_score(teu) -> None:
    """--shm-size sizes /dev/shm; --sysctl sets a namespaced parameter (others refused);
    --group-add adds groups by name or number; --oom-score-adj."""
    out = sh(teu, "df -k /dev/shm | tail -1; cat /proc/sys/kernel/shmmax; id -G; "
             "cat /proc/self/oom_score_adj", "--shm-size", "10m", "--sysctl",
             "kernel.shmmax=123456", "--group-add", "wheel", "--group-add", "4242",
             "--oom-score-adj", "500", "-u", "1000:1000").splitlines()
    assert out[0].split()[1] == "10240"
    assert out[1:] == ["123456", "1000 10 4242", "500"]
    p = teu("run", "--rm", "--sysctl", "kernel.hostname=x", IMAGE, "true")
    assert p.returncode == 125 and "not whitelisted" in p.stderr
    p = teu("run", "--rm", "--group-add", "nosuchgroup", IMAGE, "true")
    assert p.returncode != 0 and "nosuchgroup" in p.stderr
    assert teu.inspect(teu.ok("create", "--shm-size", "1g", IMAGE, "true").strip()
                       )["HostConfig"]["ShmSize"] == 1 << 30


def _block_device() -> str | None:
    for name in sorted(os.listdir("/sys/block")):
        if not name.startswith(("loop", "ram", "zram", "dm-", "sr")) \
                and os.path.exists(f"/dev/{name}"):
            return f"/dev/{name}"
    return None


def test_resource_flags(teu) -> None:
    """--oom-kill-disable, --memory-reservation, --cpu-shares, --cpuset-cpus,
    --memory-swap, --device-read-bps: the container's own cgroup files say so;
    --blkio-weight is refused where the kernel has no weight files (this one)."""
    dev = _block_device()
    flags = ["--memory", "64m", "--memory-swap", "128m", "--oom-kill-disable",
             "--memory-reservation", "32m", "--cpu-shares", "512", "--cpuset-cpus", "0"]
    if dev:
        flags += ["--device-read-bps", f"{dev}:1mb", "--device-write-iops", f"{dev}:100"]
    out = sh(teu, "cd /sys/fs/cgroup; head -1 memory/memory.oom_control; "
             "cat memory/memory.soft_limit_in_bytes memory/memory.memsw.limit_in_bytes "
             "cpu/cpu.shares cpuset/cpuset.cpus blkio/blkio.throttle.read_bps_device "
             "blkio/blkio.throttle.write_iops_device", *flags).splitlines()
    assert out[:5] == ["oom_kill_disable 1", str(32 << 20), str(128 << 20), "512", "0"]
    if dev:
        st = os.stat(dev)
        numbers = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        assert out[5:] == [f"{numbers} 1048576", f"{numbers} 100"]
    weights = any(os.path.exists(f"/sys/fs/cgroup/blkio/{f}")
                  for f in ("blkio.weight", "blkio.bfq.weight"))
    p = teu("run", "--rm", "--blkio-weight", "300", IMAGE, "true")
    if weights:
        assert p.returncode == 0
    else:
        assert p.returncode == 125 and "no weight files" in p.stderr


def test_device_flags(teu) -> None:
    """--device HOST:CONTAINER[:PERMS] makes the node and allows it in the device cgroup;
    --device-cgroup-rule allows a node the container makes itself."""
    if not os.path.exists("/dev/loop-control"):
        pytest.skip("needs /dev/loop-control (10:237), a device outside the default list")
    probe = "(exec 3< /dev/lc) 2>/dev/null && echo opened || echo denied"
    assert sh(teu, probe, "--device", "/dev/loop-control:/dev/lc").strip() == "opened"
    # docker 20.10 here: `--device /dev/loop-control:/dev/lc:w` cannot open it for reading
    assert sh(teu, probe, "--device", "/dev/loop-control:/dev/lc:w").strip() == "denied"
    cid = teu.ok("create", "--device", "/dev/loop-control:/dev/lc:w", IMAGE, "true").strip()
    assert teu.inspect(cid)["HostConfig"]["Devices"] == [
        {"PathOnHost": "/dev/loop-control", "PathInContainer": "/dev/lc",
         "CgroupPermissions": "w"}]
    made = "mknod /dev/lc c 10 237 2>/dev/null; " + probe
    assert sh(teu, made).strip() == "denied"
    assert sh(teu, made, "--device-cgroup-rule", "c 10:237 rwm").strip() == "opened"
    p = teu("run", "--rm", "--device", "/dev/nosuch", IMAGE, "true")
    assert p.returncode == 125 and "/dev/nosuch" in p.stderr


def test_log_flags(teu) -> None:
    """--log-driver none keeps no log (`logs` refuses, as docker's); json-file and
    k8s-file are read by `logs`; max-size caps the log (it starts over), for a foreground
    run and under conmon; max-file > 1 is refused (one file per container)."""
    teu.ok("run", "--name", "quiet", "--log-driver", "none", IMAGE, "echo", "hi")
    p = teu("logs", "quiet")
    assert p.returncode != 0 and "does not support reading" in p.stderr
    teu.ok("run", "--name", "js", "--log-driver", "json-file", IMAGE, "echo", "hi")
    assert teu.ok("logs", "js") == "hi\n"
    assert teu.inspect("js")["HostConfig"]["LogConfig"]["Type"] == "json-file"
    many = "i=0; while [ $i -lt 400 ]; do echo line$i; i=$((i+1)); done"
    teu.ok("run", "--name", "capped", "--log-opt", "max-size=2k", IMAGE, "sh", "-c", many)
    cid = teu.ok("run", "-d", "--log-opt", "max-size=2k", IMAGE, "sh", "-c", many).strip()
    teu.ok("wait", cid)
    for ref in ("capped", cid):
        lines = teu.ok("logs", ref).split()
        assert lines[-1] == "line399" and 0 < len(lines) < 100, (ref, len(lines))
    p = teu("run", "--rm", "--log-opt", "max-file=3", "--log-opt", "max-size=1m", IMAGE,
            "true")
    assert p.returncode == 125 and "max-file" in p.stderr


def test_cidfile_volumes_from_mount_and_platform(teu, tmp_path) -> None:
    """--cidfile writes the ID (and refuses an existing file); --volumes-from shares the
    other container's mounts (:ro read-only); --mount bind (source must exist), volume
    and tmpfs with their options; --platform: the host's only."""
    cidfile = tmp_path / "cid"
    cid = teu.ok("run", "-d", "--cidfile", str(cidfile), "--name", "data", "-v",
                 "shared:/shared", IMAGE, "sh", "-c", "echo from-data > /shared/f; sleep 60"
                 ).strip()
    assert cidfile.read_text() == cid
    p = teu("run", "--rm", "--cidfile", str(cidfile), IMAGE, "true")
    assert p.returncode == 125 and "Container ID file found" in p.stderr
    out = sh(teu, "sleep 0.5; cat /shared/f; touch /shared/g 2>/dev/null || echo ro",
             "--volumes-from", "data:ro").split()
    assert out == ["from-data", "ro"]
    p = teu("run", "--rm", "--mount", f"type=bind,source={tmp_path}/missing,target=/m",
            IMAGE, "true")
    assert p.returncode == 125 and "bind source path does not exist" in p.stderr
    (tmp_path / "in").mkdir()
    out = sh(teu, "cat /b/x; touch /b/y 2>/dev/null || echo ro; df -k /t | tail -1; "
             "stat -c %a /t; echo v > /v/f", "--mount",
             f"type=bind,src={tmp_path}/in,dst=/b,readonly", "--mount",
             "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770", "--mount",
             "type=volume,source=mvol,target=/v") \
        if (tmp_path / "in" / "x").write_text("bx\n") else ""
    lines = out.splitlines()
    assert lines[:2] == ["bx", "ro"] and lines[2].split()[1] == "1024" and lines[3] == "1770"
    assert "mvol" in teu.ok("volume", "ls", "-q").split()
    p = teu("run", "--rm", "--platform", "linux/s390x", IMAGE, "true")
    assert p.returncode == 125 and "platform" in p.stderr
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine,
                                                         os.uname().machine)
    teu.ok("run", "--rm", "--platform", f"linux/{machine}", IMAGE, "true")


def test_attach_and_sig_proxy(teu) -> None:
    """-a picks the streams shown (the log keeps both); --sig-proxy=false: a signal to
    teu ends teu only, the container runs on (docker's CLI and container alike)."""
    p = teu("run", "--name", "att", "-a", "stderr", IMAGE, "sh", "-c", "echo out; echo err >&2")
    assert (p.stdout, p.stderr) == ("", "err\n")
    assert teu.ok("logs", "att") == "out\n"
    # the same through conmon (a restart policy keeps a foreground run under conmon)
    p = teu("run", "--name", "att2", "--restart", "on-failure:1", "-a", "stdout", IMAGE,
            "sh", "-c", "echo out; echo err >&2")
    assert (p.returncode, p.stdout, p.stderr) == (0, "out\n", "")
    assert teu.ok("logs", "att2") == "out\n"
    proc = subprocess.Popen(teu.cmd("run", "--name", "noproxy", "--sig-proxy=false", IMAGE,
                                    "sh", "-c", "trap 'exit 9' TERM; echo up; "
                                    "while true; do sleep 0.05; done"),
                            env=teu.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"up\n"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == -signal.SIGTERM
    proc.stdout.close()
    assert teu.inspect("noproxy")["State"]["Running"] is True
    teu.ok("stop", "noproxy")
    assert teu.inspect("noproxy")["State"]["ExitCode"] == 9


def _run_in_pty(teu, args: list[str], keys: bytes) -> int:  # noqa: ANN001
    """Run teu on a new terminal; once the container says ready, type a line, then keys."""
    import fcntl
    import pty
    import select
    import termios
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen(teu.cmd(*args), env=teu.env, stdin=slave, stdout=slave,
                            stderr=slave, start_new_session=True,
                            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    try:
        seen, deadline = b"", time.monotonic() + 20
        while b"ready" not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.5)[0]:
                seen += os.read(master, 4096)
        os.write(master, b"typed\r")
        time.sleep(0.3)
        os.write(master, keys)
        return proc.wait(20)
    finally:
        os.close(master)


def test_detach_keys(teu) -> None:
    """docker run -it: ctrl-p,ctrl-q (or --detach-keys) detaches: teu exits 0, the
    container runs on and its log keeps what it got."""
    assert _run_in_pty(teu, ["run", "-it", "--name", "d1", IMAGE, "sh", "-c",
                             "echo ready; cat"], b"\x10\x11") == 0
    assert teu.inspect("d1")["State"]["Running"] is True
    assert "typed" in teu.ok("logs", "d1")
    assert _run_in_pty(teu, ["run", "-it", "--detach-keys", "ctrl-a,x", "--name", "d2", IMAGE,
                             "sh", "-c", "echo ready; cat"], b"\x01x") == 0
    assert teu.inspect("d2")["State"]["Running"] is True
