"""The container verbs after run: create, start, stop, kill, rm, ps, logs, exec, inspect,
wait, restart, pause, rename, attach, prune, on the real kernel."""

from __future__ import annotations

import json
import os
import time

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu, wait_until

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def test_create_start_stop_start_rm(teu) -> None:
    t0 = time.time()
    cid = teu.ok("create", "--name", "c1", IMAGE, "sh", "-c", "echo started; sleep 60").strip()
    assert len(cid) == 64
    assert teu.inspect("c1")["State"]["Status"] == "created"
    assert "Created" in teu.ok("ps", "-a")
    assert "c1" not in teu.ok("ps")
    assert teu.ok("start", "c1") == "c1\n"
    info = teu.inspect(cid)
    assert info["State"]["Running"] and info["State"]["Pid"] > 0
    assert "Up " in teu.ok("ps")
    wait_until(lambda: teu("logs", "c1").stdout == "started\n", 10, "the log")
    started = time.monotonic()
    assert teu.ok("stop", "-t", "1", "c1") == "c1\n"
    assert time.monotonic() - started < 8
    info = teu.inspect("c1")
    assert info["State"]["Status"] == "exited" and info["State"]["ExitCode"] == 137
    assert "Exited (137)" in teu.ok("ps", "-a")
    teu.ok("start", "c1")
    assert teu.inspect("c1")["State"]["Running"]
    wait_until(lambda: teu("logs", "c1").stdout == "started\nstarted\n", 10, "second start")
    teu.ok("rm", "-f", "c1")
    assert teu("inspect", "c1").returncode == 1
    assert not (teu.root / "containers" / cid).exists()
    # teu events: the journal's history of what happened, as docker events --since/--until
    actions = teu.ok("events", "--since", f"{t0:.3f}", "--until", f"{time.time():.3f}",
                     "--filter", f"container={cid}", "--format", "{{.Action}}").split()
    assert actions[:2] == ["create", "start"] and actions[-1] == "destroy", actions
    assert actions.count("start") == 2 and actions.count("die") == 2, actions
    bad = teu("events", "--until", "soon")
    assert bad.returncode == 125 and '"until"' in bad.stderr and "Traceback" not in bad.stderr


def test_stop_signal_and_graceful_exit(teu) -> None:
    teu.ok("run", "-d", "--name", "gr", "--init", IMAGE, "sh", "-c",
           "trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done")
    time.sleep(0.5)
    teu.ok("stop", "gr")
    info = teu.inspect("gr")
    assert info["State"]["ExitCode"] == 0
    assert "bye" in teu.ok("logs", "gr")
    teu.ok("run", "-d", "--name", "hh", "--stop-signal", "SIGUSR1", "--stop-timeout", "1",
           IMAGE, "sleep", "60")
    teu.ok("stop", "hh")
    assert teu.inspect("hh")["State"]["ExitCode"] in (137, 138)


def test_kill_with_signal_and_wait(teu) -> None:
    teu.ok("run", "-d", "--name", "kk", "--init", IMAGE, "sleep", "60")
    teu.ok("kill", "-s", "TERM", "kk")
    assert teu.ok("wait", "kk") == "143\n"
    assert teu.inspect("kk")["State"]["ExitCode"] == 143
    p = teu("kill", "kk")
    assert p.returncode == 1 and "not running" in p.stderr
    teu.ok("run", "-d", "--name", "ww", IMAGE, "sh", "-c", "sleep 0.5; exit 9")
    assert teu.ok("wait", "ww") == "9\n"


def test_restart(teu) -> None:
    teu.ok("run", "-d", "--name", "rr", IMAGE, "sh", "-c", "echo up; sleep 60")
    pid1 = teu.inspect("rr")["State"]["Pid"]
    teu.ok("restart", "-t", "0", "rr")
    info = teu.inspect("rr")
    assert info["State"]["Running"] and info["State"]["Pid"] != pid1
    wait_until(lambda: teu.ok("logs", "rr") == "up\nup\n", 10, "two starts in the log")


def test_pause_unpause(teu) -> None:
    teu.ok("run", "-d", "--name", "pp", IMAGE, "sh", "-c",
           "i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done")
    time.sleep(0.3)
    teu.ok("pause", "pp")
    assert teu.inspect("pp")["State"]["Status"] == "paused"
    assert "(Paused)" in teu.ok("ps")
    upper = teu.root / "containers" / teu.inspect("pp")["Id"] / "upper" / "tmp" / "n"
    first = upper.read_text()
    time.sleep(0.3)
    assert upper.read_text() == first
    assert teu("pause", "pp").returncode == 1
    teu.ok("unpause", "pp")
    wait_until(lambda: upper.read_text() != first, 5, "the loop to go on")
    teu.ok("rm", "-f", "pp")


def test_exec_flags(teu) -> None:
    teu.ok("run", "-d", "--name", "xx", "-e", "BASE=1", IMAGE, "sleep", "60")
    assert teu.ok("exec", "xx", "sh", "-c", "echo $BASE $EXTRA", ) == "1\n"
    assert teu.ok("exec", "-e", "EXTRA=2", "xx", "sh", "-c", "echo $BASE $EXTRA") == "1 2\n"
    assert teu.ok("exec", "-u", "user", "xx", "id", "-u") == "1000\n"
    assert teu.ok("exec", "-u", "1000:10", "xx", "id", "-g") == "10\n"
    assert teu.ok("exec", "-w", "/etc", "xx", "pwd") == "/etc\n"
    assert teu("exec", "-i", "xx", "cat", input="piped").stdout == "piped"
    assert teu("exec", "xx", "cat", input="ignored").stdout == ""
    assert teu("exec", "xx", "sh", "-c", "exit 6").returncode == 6
    p = teu("exec", "xx", "nonexistent")
    assert p.returncode == 127
    teu.ok("exec", "-d", "xx", "sh", "-c", "echo bg > /tmp/bg")
    wait_until(lambda: teu("exec", "xx", "cat", "/tmp/bg").stdout == "bg\n", 5, "exec -d")
    caps = teu.ok("exec", "xx", "grep", "CapEff", "/proc/self/status")
    assert caps.split()[-1] == "00000000a80425fb"
    teu.ok("stop", "-t", "0", "xx")
    p = teu("exec", "xx", "true")
    assert p.returncode == 1 and "not running" in p.stderr


def test_inspect_shape(teu) -> None:
    teu.ok("run", "-d", "--name", "ii", "-l", "k=v", "--memory", "32m", IMAGE, "sleep", "60")
    info = teu.inspect("ii")
    for key in ("Id", "Created", "Path", "Args", "State", "Image", "Name", "RestartCount",
                "HostConfig", "Config", "Mounts", "NetworkSettings", "GraphDriver",
                "LogPath"):
        assert key in info
    assert info["Path"] == "sleep" and info["Args"] == ["60"]
    assert info["Image"].startswith("sha256:")
    assert info["Config"]["Labels"] == {"k": "v"}
    assert info["HostConfig"]["Memory"] == 32 << 20
    assert info["State"]["StartedAt"].endswith("Z")
    assert teu.ok("inspect", "-f", "{{.State.Status}} {{.Name}}", "ii") == "running /ii\n"
    assert teu.ok("inspect", "--format", "{{json .Config.Labels}}", "ii").strip() == \
        '{"k":"v"}'
    two = json.loads(teu.ok("inspect", "ii", IMAGE))
    assert len(two) == 2 and two[1]["Id"].startswith("sha256:")
    p = teu("inspect", "nope")
    assert p.returncode == 1 and "No such object: nope" in p.stderr


def test_ps_filters_and_format(teu) -> None:
    teu.ok("run", "-d", "--name", "a1", "-l", "app=web", IMAGE, "sleep", "60")
    assert teu("run", "--name", "b2", "-l", "app=db", IMAGE, "sh", "-c", "exit 3").returncode == 3
    teu.ok("create", "--name", "c3", IMAGE, "true")
    names = lambda *a: teu.ok("ps", "--format", "{{.Names}}", *a).split()  # noqa: E731
    assert names() == ["a1"]
    assert names("-a") == ["c3", "b2", "a1"]
    assert names("-a", "--filter", "status=exited") == ["b2"]
    assert names("-a", "--filter", "exited=3") == ["b2"]
    assert names("-a", "--filter", "label=app=web") == ["a1"]
    assert names("-a", "--filter", "label=app") == ["b2", "a1"]
    assert names("-a", "--filter", "name=c") == ["c3"]
    assert names("-a", "--filter", "status=created") == ["c3"]
    assert names("-a", "--filter", f"ancestor={IMAGE}") == ["c3", "b2", "a1"]
    assert names("-n", "1") == ["c3"]
    assert len(teu.ok("ps", "-aq").split()) == 3
    assert all(len(x) == 12 for x in teu.ok("ps", "-aq").split())
    assert all(len(x) == 64 for x in teu.ok("ps", "-aq", "--no-trunc").split())
    table = teu.ok("ps", "-a").splitlines()
    assert table[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
                                "PORTS", "NAMES"]
    rows = [json.loads(x) for x in teu.ok("ps", "-a", "--format", "json").splitlines()]
    assert {r["Names"] for r in rows} == {"a1", "b2", "c3"}
    assert teu("ps", "--filter", "bogus=1").returncode == 1


def test_logs_options(teu) -> None:
    teu.ok("run", "--name", "lg", IMAGE, "sh", "-c",
           "for i in 1 2 3 4 5; do echo line$i; done; printf partial; echo e >&2")
    p = teu("logs", "lg")
    assert p.stdout == "line1\nline2\nline3\nline4\nline5\npartial"
    assert p.stderr == "e\n"
    assert teu.ok("logs", "--tail", "2", "lg") == "partial" or \
        teu.ok("logs", "--tail", "2", "lg") == "line5\npartial"
    stamped = teu.ok("logs", "-t", "lg").splitlines()
    assert stamped[0].endswith(" line1") and stamped[0][:4].isdigit() and "Z " in stamped[0]
    assert teu.ok("logs", "--since", "1h", "lg").startswith("line1")
    assert teu.ok("logs", "--until", "2000-01-01T00:00:00Z", "lg") == ""


def test_logs_follow(teu) -> None:
    import subprocess

    teu.ok("run", "-d", "--name", "ff", IMAGE, "sh", "-c",
           "echo a; sleep 1; echo b; sleep 1; echo c")
    p = subprocess.run(teu.cmd("logs", "-f", "ff"), capture_output=True, text=True, timeout=20,
                       env=teu.env)
    assert p.stdout == "a\nb\nc\n"


def test_start_attach_and_attach(teu) -> None:
    teu.ok("create", "--name", "sa", IMAGE, "sh", "-c", "echo out; echo err >&2; exit 4")
    p = teu("start", "-a", "sa")
    assert p.returncode == 4 and p.stdout == "out\n" and p.stderr == "err\n"
    teu.ok("create", "-i", "--name", "si", IMAGE, "sh", "-c", "read x; echo got $x")
    p = teu("start", "-ai", "si", input="hi\n")
    assert p.stdout == "got hi\n" and p.returncode == 0
    teu.ok("run", "-d", "--name", "at", IMAGE, "sh", "-c", "sleep 1; echo late; exit 2")
    p = teu("attach", "--no-stdin", "at")
    assert "late" in p.stdout and p.returncode == 2


def test_rename_and_name_reuse(teu) -> None:
    teu.ok("create", "--name", "old", IMAGE, "true")
    teu.ok("rename", "old", "new")
    assert teu.inspect("new")["Name"] == "/new"
    assert teu("inspect", "old").returncode == 1
    teu.ok("create", "--name", "old", IMAGE, "true")
    p = teu("rename", "old", "new")
    assert p.returncode == 1 and "already in use" in p.stderr


def test_rm_volumes_and_prune(teu) -> None:
    teu.ok("run", "--name", "vv", "-v", "/anon", "-v", "named:/named", IMAGE, "true")
    anon = [m["Name"] for m in teu.inspect("vv")["Mounts"] if m["Destination"] == "/anon"][0]
    assert anon in teu.ok("volume", "ls", "-q").split()
    teu.ok("rm", "-v", "vv")
    vols = teu.ok("volume", "ls", "-q").split()
    assert anon not in vols and "named" in vols
    teu.ok("run", "--name", "s1", IMAGE, "true")
    teu.ok("run", "-d", "--name", "s2", IMAGE, "sleep", "60")
    out = teu.ok("container", "prune", "-f")
    assert "Deleted Containers:" in out
    assert teu.ok("ps", "-a", "--format", "{{.Names}}").split() == ["s2"]
    assert teu("volume", "rm", "named").returncode == 0
    teu.ok("volume", "create", "--label", "x=y", "lonely")
    assert "lonely" in teu.ok("volume", "ls", "--filter", "dangling=true", "-q")
    out = teu.ok("volume", "prune", "-f", "-a")
    assert "lonely" in out


def test_container_management_verbs(teu) -> None:
    cid = teu.ok("container", "run", "-d", IMAGE, "sleep", "60").strip()
    assert cid[:12] in teu.ok("container", "ls", "-q")
    teu.ok("container", "stop", "-t", "0", cid[:6])
    teu.ok("container", "rm", cid)
    assert teu.ok("container", "ls", "-aq") == ""


def test_ps_true_after_processes_die(teu) -> None:
    import signal

    teu.ok("run", "-d", "--name", "victim", IMAGE, "sleep", "60")
    info = teu.inspect("victim")
    pid = info["State"]["Pid"]
    monitor = [r[4] for r in teu.rows() if r[1] == "victim"][0]
    os.kill(monitor, signal.SIGKILL)  # conmon first: nobody records the exit
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}/stat")
               or open(f"/proc/{pid}/stat").read().split()[2] == "Z", 5, "the init to die")
    out = teu.ok("ps", "-a", "--format", "{{.Names}} {{.Status}}")
    assert out.startswith("victim Exited (")
    assert teu.inspect("victim")["State"]["Running"] is False
    teu.ok("rm", "victim")


@pytest.mark.parametrize("via_conmon", [False, True])
def test_foreground_run_forwards_signals(teu, via_conmon: bool) -> None:
    """SIGTERM to a foreground `teu run` reaches the container, in-process or through
    conmon (a health check makes teu use conmon and attach)."""
    import signal
    import subprocess

    extra = ["--health-cmd", "true", "--health-interval", "1h"] if via_conmon else []
    proc = subprocess.Popen(teu.cmd("run", "--name", "sig", "--init", *extra, IMAGE, "sh", "-c",
                                    "echo ready; sleep 30"),
                            env=teu.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout.readline() == b"ready\n"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 143
    assert teu.inspect("sig")["State"]["ExitCode"] == 143
    teu.ok("rm", "sig")
