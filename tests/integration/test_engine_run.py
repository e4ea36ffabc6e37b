"""`teu run` on the real kernel: each flag changes what the container sees."""

from __future__ import annotations

import json
import os

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def sh(teu, script: str, *flags: str) -> str:  # noqa: ANN001
    return teu.ok("run", "--rm", *flags, IMAGE, "sh", "-c", script)


def test_run_prints_output_and_returns_the_exit_code(teu) -> None:
    p = teu("run", "--rm", IMAGE, "sh", "-c", "echo out; echo err >&2; exit 7")
    assert p.returncode == 7
    assert p.stdout == "out\n"
    assert p.stderr == "err\n"
    assert teu.rows() == []


def test_exit_codes_126_127_and_signals(teu) -> None:
    p = teu("run", "--rm", IMAGE, "no-such-command")
    assert p.returncode == 127 and "no-such-command" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    p = teu("run", "--rm", IMAGE, "/etc/passwd")
    assert p.returncode == 126
    # pid 1 of a namespace ignores its own SIGKILL: under --init, sh is not pid 1
    p = teu("run", "--rm", "--init", IMAGE, "sh", "-c", "kill -KILL $$")
    assert p.returncode == 137
    assert teu.rows() == []


def test_hardened_defaults(teu) -> None:
    out = sh(teu, "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; "
                  "cat /proc/kcore 2>&1 | head -c 0; wc -c < /proc/kcore; "
                  "echo x > /proc/sys/kernel/domainname 2>&1 && echo WROTE; ls /dev; "
                  "mount | grep ' /sys ' ")
    assert "CapEff:\t00000000a80425fb" in out  # docker's 14 capabilities
    assert "NoNewPrivs:\t0" in out
    assert "Seccomp:\t2" in out
    assert "WROTE" not in out  # /proc/sys is read-only
    assert "sda" not in out and "null" in out and "zero" in out
    assert "(ro," in out


def test_privileged_and_caps(teu) -> None:
    out = sh(teu, "grep -E '^(CapEff|Seccomp):' /proc/self/status", "--privileged")
    assert "Seccomp:\t0" in out
    host_bounding = next(line.split()[1] for line in open("/proc/self/status")
                         if line.startswith("CapBnd:"))
    assert f"CapEff:\t{host_bounding}" in out  # all the host has (root here lacks SYS_RESOURCE)
    out = sh(teu, "grep CapEff /proc/self/status", "--cap-drop", "ALL", "--cap-add", "chown")
    assert "CapEff:\t0000000000000001" in out
    out = sh(teu, "grep CapEff /proc/self/status", "--cap-drop", "NET_RAW")
    assert int(out.split()[-1], 16) == 0xa80425fb & ~(1 << 13)


def test_security_opts(teu) -> None:
    out = sh(teu, "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status",
             "--security-opt", "no-new-privileges")
    assert "NoNewPrivs:\t1" in out and "Seccomp:\t2" in out
    out = sh(teu, "grep Seccomp: /proc/self/status", "--security-opt", "seccomp=unconfined")
    assert "Seccomp:\t0" in out
    # mount needs CAP_SYS_ADMIN; with it (and the profile's rules for it) it works
    p = teu("run", "--rm", IMAGE, "mount", "-t", "tmpfs", "t", "/tmp")
    assert p.returncode != 0
    out = sh(teu, "mount -t tmpfs t /tmp && echo mounted", "--cap-add", "SYS_ADMIN")
    assert out == "mounted\n"
    # sethostname is in the profile only for CAP_SYS_ADMIN: refused without it
    assert teu("run", "--rm", IMAGE, "hostname", "newname").returncode != 0
    assert teu("run", "--rm", "--cap-add", "SYS_ADMIN", IMAGE, "hostname", "new").returncode == 0


def test_seccomp_profile_file(teu, tmp_path) -> None:
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                             "errnoRet": 1}]}
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile))
    p = teu("run", "--rm", "--security-opt", f"seccomp={path}", IMAGE, "mkdir", "/tmp/x")
    assert p.returncode == 1 and "not permitted" in p.stderr.lower()


def test_env_workdir_user_hostname_entrypoint(teu, tmp_path) -> None:
    envfile = tmp_path / "env"
    envfile.write_text("# comment\nFROM_FILE=yes\n\nBOTH=file\n")
    out = sh(teu, "echo $A $FROM_FILE $BOTH $HOSTNAME; pwd; id -u; id -g; hostname",
             "-e", "A=1", "--env-file", str(envfile), "-e", "BOTH=flag", "-w", "/tmp",
             "-u", "1000:10", "-h", "boxy")
    assert out.split("\n")[:5] == ["1 yes flag boxy", "/tmp", "1000", "10", "boxy"]
    out = sh(teu, "id", "-u", "user")
    assert "uid=1000(user) gid=1000(user)" in out
    out = teu.ok("run", "--rm", "--entrypoint", "echo", IMAGE, "a", "b")
    assert out == "a b\n"
    out = teu.ok("run", "--rm", "-w", "/new/dir", IMAGE, "pwd")
    assert out == "/new/dir\n"
    p = teu("run", "--rm", "-u", "nosuchuser", IMAGE, "true")
    assert p.returncode == 125 and "nosuchuser" in p.stderr


def test_read_only_and_tmpfs(teu) -> None:
    p = teu("run", "--rm", "--read-only", IMAGE, "touch", "/x")
    assert p.returncode != 0 and "Read-only" in p.stderr
    out = sh(teu, "touch /scratch/x && echo ok; grep ' /scratch ' /proc/mounts",
             "--read-only", "--tmpfs", "/scratch:size=1m")
    assert out.startswith("ok\n") and "tmpfs" in out and "size=1024k" in out


def test_bind_and_named_volumes(teu, tmp_path) -> None:
    host = tmp_path / "shared"
    host.mkdir()
    (host / "in.txt").write_text("from host")
    out = sh(teu, "cat /data/in.txt; echo back > /data/out.txt", "-v", f"{host}:/data")
    assert out == "from host"
    assert (host / "out.txt").read_text() == "back\n"
    p = teu("run", "--rm", "-v", f"{host}:/data:ro", IMAGE, "touch", "/data/y")
    assert p.returncode != 0
    sh(teu, "echo kept > /v/file", "-v", "vol1:/v")
    assert sh(teu, "cat /v/file", "-v", "vol1:/v") == "kept\n"
    vols = json.loads(teu.ok("volume", "inspect", "vol1"))
    assert vols[0]["Name"] == "vol1"
    teu.ok("volume", "rm", "vol1")


def test_volume_copy_up_from_the_image(teu) -> None:
    # An empty named volume over /etc gets the image's /etc on first use (docker's copy-up).
    out = sh(teu, "cat /etc/group | head -1", "-v", "etcvol:/etc")
    assert out.startswith("root:x:0:")
    teu.ok("volume", "rm", "etcvol")


def test_secret_on_tmpfs_not_in_layer_nor_inspect(teu, tmp_path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cr3t")
    p = teu("run", "--name", "sec", "--secret", f"src={secret},target=token", IMAGE, "sh",
            "-c", "cat /run/secrets/token; grep /run/secrets/token /proc/mounts; "
                  "echo nope > /run/secrets/token")
    assert p.stdout.startswith("s3cr3t")
    assert "tmpfs" in p.stdout and " ro," in p.stdout
    assert p.returncode != 0
    upper = teu.root / "containers" / teu.inspect("sec")["Id"] / "upper"
    for top, _, files in os.walk(upper):
        for f in files:
            assert b"s3cr3t" not in open(os.path.join(top, f), "rb").read()
    text = teu.ok("inspect", "sec")
    assert "s3cr3t" not in text and str(secret) not in text
    teu.ok("rm", "sec")


def test_resources_reach_the_cgroup(teu) -> None:
    cid = teu.ok("run", "-d", "--memory", "64m", "--memory-swap", "128m", "--cpus", "0.5",
                 "--cpu-shares", "512", "--cpuset-cpus", "0", "--pids-limit", "50",
                 IMAGE, "sleep", "60").strip()
    pid = teu.inspect(cid)["State"]["Pid"]
    cg = {}
    for line in open(f"/proc/{pid}/cgroup"):
        _, ctrls, path = line.strip().split(":", 2)
        for c in ctrls.split(","):
            cg[c] = path

    def read(ctrl: str, name: str) -> str:
        return open(f"/sys/fs/cgroup/{ctrl}{cg[ctrl]}/{name}").read().strip()

    assert read("memory", "memory.limit_in_bytes") == str(64 << 20)
    if os.path.exists(f"/sys/fs/cgroup/memory{cg['memory']}/memory.memsw.limit_in_bytes"):
        assert read("memory", "memory.memsw.limit_in_bytes") == str(128 << 20)
    assert read("cpu", "cpu.cfs_quota_us") == "50000"
    assert read("cpu", "cpu.shares") == "512"
    assert read("cpuset", "cpuset.cpus") == "0"
    assert read("pids", "pids.max") == "50"
    teu.ok("rm", "-f", cid)


def test_ulimit(teu) -> None:
    out = sh(teu, "ulimit -n; ulimit -Hn", "--ulimit", "nofile=512:1024")
    assert out.split() == ["512", "1024"]


def test_init_reaps_and_forwards(teu) -> None:
    out = sh(teu, "cat /proc/1/cmdline | tr '\\0' ' '", "--init")
    assert out.startswith("/dev/init -- sh -c")


def test_labels_name_and_network_modes(teu) -> None:
    teu.ok("run", "--name", "lab", "-l", "a=1", "--label", "b", IMAGE, "true")
    info = teu.inspect("lab")
    assert info["Config"]["Labels"] == {"a": "1", "b": ""}
    assert info["Name"] == "/lab" and info["State"]["ExitCode"] == 0
    teu.ok("rm", "lab")
    out = sh(teu, "ls /sys/class/net", "--network", "none")
    assert out.split() == ["lo"]
    # docker's none: lo is up and 127.0.0.1 answers, with teu-runtime and with runc (a
    # runtime leaves a new namespace's lo down: the engine brings it up)
    for runtime in ("teu-runtime", "runc"):
        out = sh(teu, "cat /sys/class/net/lo/operstate; ping -c1 -W2 127.0.0.1 >/dev/null "
                 "&& echo answered", "--network", "none", "--runtime", runtime)
        assert out.split() == ["unknown", "answered"], runtime
    host_ifaces = sorted(os.listdir("/sys/class/net"))
    out = sh(teu, "ls /sys/class/net", "--network", "host")
    assert sorted(out.split()) == host_ifaces


def test_interactive_stdin(teu) -> None:
    p = teu("run", "--rm", "-i", IMAGE, "sh", "-c", "tr a-z A-Z", input="hello\n")
    assert p.stdout == "HELLO\n"
    p = teu("run", "--rm", IMAGE, "cat", input="ignored\n")
    assert p.stdout == ""


def test_tty(teu) -> None:
    import pty
    import select
    import subprocess

    master, slave = pty.openpty()
    proc = subprocess.Popen(teu.cmd("run", "--rm", "-t", IMAGE, "sh", "-c", "tty; echo done"),
                            stdin=slave, stdout=slave, stderr=slave, env=teu.env)
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(30) == 0
    os.close(master)
    assert b"/dev/pts/0" in out and b"done" in out


def test_foreground_run_keeps_logs_without_rm(teu) -> None:
    teu.ok("run", "--name", "fg", IMAGE, "sh", "-c", "echo one; echo two >&2")
    p = teu("logs", "fg")
    assert p.stdout == "one\n" and p.stderr == "two\n"
    teu.ok("rm", "fg")


def test_restart_policy_on_failure(teu) -> None:
    from tests.integration.engine_helpers import wait_until

    teu.ok("run", "-d", "--name", "flaky", "--restart", "on-failure:2", IMAGE, "sh", "-c",
           "echo run; exit 3")

    def done() -> bool:
        info = teu.inspect("flaky")
        return info["RestartCount"] == 2 and info["State"]["Status"] == "exited"

    wait_until(done, 30, "two restarts")
    assert teu("logs", "flaky").stdout == "run\nrun\nrun\n"
    assert teu.inspect("flaky")["State"]["ExitCode"] == 3
    teu.ok("rm", "flaky")


def test_restart_always_until_stopped(teu) -> None:
    from tests.integration.engine_helpers import wait_until

    teu.ok("run", "-d", "--name", "loop", "--restart", "always", IMAGE, "sh", "-c", "exit 0")
    wait_until(lambda: teu.inspect("loop")["RestartCount"] >= 2, 30, "restarts")
    teu.ok("stop", "-t", "1", "loop")
    count = teu.inspect("loop")["RestartCount"]
    import time

    time.sleep(1.5)
    info = teu.inspect("loop")
    assert info["RestartCount"] == count and info["State"]["Status"] == "exited"
    teu.ok("rm", "loop")


@pytest.mark.parametrize("runtime", ["runc"])
def test_other_runtime(teu, runtime: str) -> None:
    import shutil

    if not shutil.which(runtime):
        pytest.skip(f"{runtime} not installed")
    p = teu("run", "--rm", "--runtime", runtime, IMAGE, "sh", "-c", "echo hi; exit 4")
    assert p.returncode == 4 and p.stdout == "hi\n"
    cid = teu.ok("run", "-d", "--runtime", runtime, IMAGE, "sleep", "30").strip()
    assert teu.ok("exec", cid, "echo", "inside") == "inside\n"
    teu.ok("stop", "-t", "1", cid)
    assert teu.inspect(cid)["State"]["ExitCode"] == 137
    teu.ok("rm", cid)
