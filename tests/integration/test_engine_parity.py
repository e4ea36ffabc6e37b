"""Issue 8, the engine's part: behaviour a docker 20.10 user relies on, each pinned
against what docker does (said in each test)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu, wait_until

pytestmark = pytest.mark.root

HOG = 'x=$(head -c 60000000 /dev/zero | tr "\\0" a); echo survived'


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def test_detached_oom_kill_is_recorded(teu, tmp_path) -> None:
    """docker: State.OOMKilled true, exit 137, for -d as for a foreground run (and
    conmon's `oom` file lands in the bundle, not in the cwd of whoever ran teu)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    cid = teu.ok("run", "-d", "--memory", "8m", IMAGE, "sh", "-c", HOG, cwd=cwd).strip()
    assert teu.ok("wait", cid).strip() == "137"
    state = teu.inspect(cid)["State"]
    assert state["OOMKilled"] is True and state["ExitCode"] == 137
    assert list(cwd.iterdir()) == []
    p = teu("run", "--name", "fg", "--memory", "8m", IMAGE, "sh", "-c", HOG)
    assert p.returncode == 137
    assert teu.inspect("fg")["State"]["OOMKilled"] is True
    teu.ok("run", "--name", "fine", IMAGE, "true")
    assert teu.inspect("fine")["State"]["OOMKilled"] is False


def test_exit_code_and_output_survive_a_killed_foreground_teu(teu) -> None:
    """docker: killing the client leaves the container running; its later output is
    logged and `stop` records the container's own exit code (here 3, from its trap)."""
    script = ('trap "echo got-term; exit 3" TERM; echo before; '
              'while [ ! -e /tmp/go ]; do sleep 0.05; done; echo after-teu-died; '
              'while true; do sleep 0.05; done')
    p = subprocess.Popen(teu.cmd("run", "--name", "k9", IMAGE, "sh", "-c", script),
                         env=teu.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: "before" in teu("logs", "k9").stdout, 20)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    assert teu.inspect("k9")["State"]["Running"] is True
    teu.ok("exec", "k9", "touch", "/tmp/go")
    wait_until(lambda: "after-teu-died" in teu("logs", "k9").stdout, 20)
    teu.ok("stop", "k9")
    state = teu.inspect("k9")["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 3)
    assert teu.ok("logs", "k9").split() == ["before", "after-teu-died", "got-term"]


def test_signals_sent_to_a_foreground_teu_reach_the_container(teu) -> None:
    """docker run's --sig-proxy (default true): `kill -TERM <client>` ends up in the
    container, once."""
    script = ("n=0; trap 'n=$((n+1))' USR1; trap 'exit $((40+n))' TERM; echo up; "
              "while true; do sleep 0.05; done")
    p = subprocess.Popen(teu.cmd("run", "--name", "sig", IMAGE, "sh", "-c", script),
                         env=teu.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    assert p.stdout is not None and p.stdout.readline() == b"up\n"
    p.send_signal(signal.SIGUSR1)
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    assert p.wait(20) == 41
    p.stdout.close()


def test_rm_f_wins_against_a_restart_in_progress(teu) -> None:
    """docker: `rm -f` of a restarting container removes it at once, every time. The
    container exits quickly six times (restart backoff 0.1 s doubling to 1.6 s), then
    would run for a minute: rm -f in a restart window must not wait for that run."""
    script = ("n=$(cat /count 2>/dev/null || echo 0); echo $((n+1)) > /count; "
              "[ $n -ge 5 ] && sleep 60; exit 0")
    for attempt in range(2):
        name = f"again{attempt}"
        teu.ok("run", "-d", "--name", name, "--restart", "always", IMAGE, "sh", "-c", script)
        def restarting(n: str = name) -> bool:
            info = teu.inspect(n)
            return info["RestartCount"] >= 2 and info["State"]["Status"] == "restarting"

        wait_until(restarting, 30)
        start = time.monotonic()
        p = teu("rm", "-f", name, timeout=40)
        assert p.returncode == 0, p.stderr
        assert time.monotonic() - start < 10
        assert teu("inspect", name).returncode != 0
        time.sleep(1.5)  # the restart that was pending must not bring it back
        assert teu.rows() == []


def test_supplementary_groups_as_docker(teu) -> None:
    """docker 20.10 with the same image: the primary group is among the supplementary
    ones, and a user given without a group gets the groups that list it (/etc/group)."""
    def ids(*flags: str) -> str:
        return teu.ok("run", "--rm", *flags, IMAGE, "id").strip()

    assert ids() == "uid=0(root) gid=0(root) groups=0(root),10(wheel)"
    assert ids("-u", "1000:1000") == "uid=1000(user) gid=1000(user) groups=1000(user)"
    assert ids("-u", "1000") == "uid=1000(user) gid=1000(user) groups=10(wheel),1000(user)"
    assert ids("-u", "2000:3000") == "uid=2000 gid=3000 groups=3000"
    teu.ok("run", "-d", "--name", "ex", IMAGE, "sleep", "60")
    assert teu.ok("exec", "-u", "1000", "ex", "id").strip() == \
        "uid=1000(user) gid=1000(user) groups=10(wheel),1000(user)"


def test_exec_in_a_missing_workdir_is_126(teu) -> None:
    """docker: exit 126, `chdir to cwd ("/nonexistent") set in config.json failed`."""
    teu.ok("run", "-d", "--name", "ex", IMAGE, "sleep", "60")
    p = teu("exec", "-w", "/nonexistent", "ex", "true")
    assert p.returncode == 126
    assert 'chdir to cwd ("/nonexistent") set in config.json failed: no such file' in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_host_network_has_the_hosts_hostname(teu) -> None:
    """docker: --network host shows the host's hostname; Config.Hostname is set (the short
    ID otherwise)."""
    assert teu.ok("run", "--rm", "--network", "host", IMAGE, "hostname").strip() == \
        os.uname().nodename
    cid = teu.ok("create", "--network", "host", IMAGE, "true").strip()
    assert teu.inspect(cid)["Config"]["Hostname"] == os.uname().nodename
    cid = teu.ok("create", IMAGE, "true").strip()
    assert teu.inspect(cid)["Config"]["Hostname"] == cid[:12]


def test_a_failed_start_leaves_the_container_created(teu) -> None:
    """docker: `run --name x IMG nosuchcmd` exits 127 and leaves x `created` with
    State.Error; with -d the ID is printed before the failure."""
    p = teu("run", "--name", "xx", IMAGE, "nosuchcmd")
    assert p.returncode == 127 and "nosuchcmd" in p.stderr
    state = teu.inspect("xx")["State"]
    assert state["Status"] == "created" and state["ExitCode"] == 127
    assert "nosuchcmd" in state["Error"]
    p = teu("run", "-d", "--name", "yy", IMAGE, "/etc/passwd")
    assert p.returncode == 126
    assert p.stdout.strip() == teu.inspect("yy")["Id"]
    assert teu.inspect("yy")["State"]["Status"] == "created"
    assert teu("run", "--rm", IMAGE, "nosuchcmd").returncode == 127
    assert {r[1] for r in teu.rows()} == {"xx", "yy"}  # --rm's is gone


def test_bind_source_made_by_v_and_volume_copy_up_keeps_owners(teu, tmp_path) -> None:
    """docker: -v makes a missing host directory; a new named volume mounted over an
    image directory gets its contents with their owners and modes, so the image's
    user can write there."""
    missing = tmp_path / "not" / "yet"
    teu.ok("run", "--rm", "-v", f"{missing}:/x", IMAGE, "true")
    assert missing.is_dir()
    teu.ok("run", "--name", "maker", IMAGE, "sh", "-c",
           "mkdir -m 0750 /data && echo hi > /data/f && chmod 0640 /data/f && "
           "mkdir /data/sub && chown -R 1000:1000 /data")
    teu.ok("commit", "maker", "withdata")
    out = teu.ok("run", "--rm", "-u", "1000", "-v", "vol:/data", "withdata", "sh", "-c",
                 "touch /data/new && stat -c '%u:%g %a %n' /data /data/f /data/sub "
                 "&& cat /data/f")
    assert out.splitlines() == ["1000:1000 750 /data", "1000:1000 640 /data/f",
                                "1000:1000 755 /data/sub", "hi"]


def test_inspect_has_dockers_keys_and_mount_modes(teu, tmp_path) -> None:
    """docker 20.10's key set (tests/unit/test_engine_inspect_keys.py has the lists) on a
    real container; Mounts entries carry Mode, as docker's do."""
    from tests.unit.test_engine_inspect_keys import (
        DOCKER_CONFIG,
        DOCKER_HOST_CONFIG,
        DOCKER_HOST_CONFIG_OPTIONAL,
        DOCKER_HOST_CONFIG_VARIES,
    )

    cid = teu.ok("create", "-v", f"{tmp_path}:/b:ro", "-v", "v1:/v", IMAGE, "true").strip()
    info = teu.inspect(cid)
    host = set(info["HostConfig"]) - set(DOCKER_HOST_CONFIG_OPTIONAL)
    assert host == set(DOCKER_HOST_CONFIG) | set(DOCKER_HOST_CONFIG_VARIES)
    assert info["HostConfig"]["ShmSize"] == 67108864 and info["HostConfig"]["IpcMode"] == \
        "private"
    assert set(DOCKER_CONFIG) <= set(info["Config"])
    assert info["Config"]["Hostname"] == cid[:12]
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    assert mounts["/b"]["Mode"] == "ro" and mounts["/b"]["RW"] is False
    assert mounts["/v"]["Type"] == "volume" and "Mode" in mounts["/v"]
