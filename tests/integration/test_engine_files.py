"""The verbs on a container's files and resources: top, stats, cp, diff, commit, export,
update, port, system df/prune, info; on the real kernel."""

from __future__ import annotations

import io
import json
import os
import tarfile
import time

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def test_top_and_stats(teu) -> None:
    teu.ok("run", "-d", "--name", "tp", "--memory", "64m", IMAGE, "sh", "-c",
           "sleep 300 & sleep 301")
    out = teu.ok("top", "tp").splitlines()
    assert out[0].split()[:3] == ["UID", "PID", "PPID"]
    cmds = " ".join(out[1:])
    assert "sleep 300" in cmds and "sleep 301" in cmds and "pytest" not in cmds
    assert "PID" in teu.ok("top", "tp", "-o", "pid,comm")
    table = teu.ok("stats", "--no-stream").splitlines()
    assert table[0].split()[:4] == ["CONTAINER", "ID", "NAME", "CPU"]
    assert "tp" in table[1] and "/ 64MiB" in table[1]
    row = json.loads(teu.ok("stats", "--no-stream", "--format", "json", "tp"))
    assert row["Name"] == "tp" and row["PIDs"] == "2" and row["MemPerc"].endswith("%")
    assert teu("top", "nope").returncode == 1


def test_diff_commit_and_run_the_result(teu) -> None:
    teu.ok("run", "--name", "dc", IMAGE, "sh", "-c",
           "echo hi > /tmp/new; rm /etc/group; mkdir -p /opt/x")
    assert teu.ok("diff", "dc").splitlines() == ["C /etc", "D /etc/group", "A /opt",
                                                  "A /opt/x", "C /tmp", "A /tmp/new"]
    image_id = teu.ok("commit", "-m", "my change", "-a", "me", "-c", "ENV COMMITTED=1",
                      "-c", 'CMD ["cat", "/tmp/new"]', "dc", "committed:v1").strip()
    assert image_id.startswith("sha256:")
    assert teu.ok("run", "--rm", "committed:v1") == "hi\n"
    assert teu.ok("run", "--rm", "committed:v1", "sh", "-c",
                  "echo $COMMITTED; ls /etc/group 2>&1 || true") .startswith("1\n")
    history = json.loads(teu.ok("image", "inspect", "committed:v1"))[0]
    assert history["Author"] == "me"
    assert len(history["RootFS"]["Layers"]) == 2
    teu.ok("rm", "dc")


def test_export(teu, tmp_path) -> None:
    teu.ok("run", "-d", "--name", "ex", "-v", "/vol", IMAGE, "sh", "-c",
           "echo exported > /marker; echo v > /vol/x; sleep 60")
    import time

    time.sleep(0.5)
    out = tmp_path / "fs.tar"
    teu.ok("export", "-o", str(out), "ex")
    with tarfile.open(out) as t:
        names = set(t.getnames())
        assert t.extractfile("marker").read() == b"exported\n"
    assert "bin/busybox" in names and "etc/passwd" in names
    assert "vol/x" not in names and not any(n.startswith("proc/") for n in names)
    p = teu("export", "ex")  # stdout is a file here, not a terminal
    assert p.returncode == 0


def test_cp_both_ways(teu, tmp_path) -> None:
    teu.ok("run", "-d", "--name", "cp1", "-v", "/vol", IMAGE, "sleep", "60")
    src = tmp_path / "hostdir"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "sub" / "b.txt").write_text("B")
    teu.ok("cp", str(src / "a.txt"), "cp1:/tmp/")
    teu.ok("cp", str(src / "a.txt"), "cp1:/tmp/renamed.txt")
    teu.ok("cp", str(src), "cp1:/tmp/tree")
    teu.ok("cp", str(src) + "/.", "cp1:/vol")
    out = teu.ok("exec", "cp1", "sh", "-c", "cat /tmp/a.txt /tmp/renamed.txt "
                 "/tmp/tree/sub/b.txt /vol/a.txt /vol/sub/b.txt")
    assert out == "AABAB"
    back = tmp_path / "back"
    back.mkdir()
    teu.ok("cp", "cp1:/tmp/tree", str(back))
    assert (back / "tree" / "sub" / "b.txt").read_text() == "B"
    teu.ok("cp", "cp1:/etc/passwd", str(back / "pw"))
    assert (back / "pw").read_text().startswith("root:x:0:0")
    tar_bytes = teu("cp", "cp1:/tmp/a.txt", "-").stdout.encode()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as t:
        assert t.getnames() == ["a.txt"]
    assert teu("cp", "cp1:/nonexistent", str(back)).returncode == 1
    # a stopped container: through its overlay, volumes included
    teu.ok("stop", "-t", "0", "cp1")
    teu.ok("cp", str(src / "a.txt"), "cp1:/stopped.txt")
    teu.ok("cp", "cp1:/vol/sub/b.txt", str(back / "fromvol"))
    assert (back / "fromvol").read_text() == "B"
    teu.ok("start", "cp1")
    assert teu.ok("exec", "cp1", "cat", "/stopped.txt") == "A"
    # an absolute symlink in the container resolves inside it, never on the host
    teu.ok("exec", "cp1", "ln", "-s", "/", "/tmp/rootlink")
    marker = f"teu-cp-escape-{os.getpid()}.txt"
    teu.ok("cp", str(src / "a.txt"), f"cp1:/tmp/rootlink/{marker}")
    assert not os.path.exists(f"/{marker}")
    assert teu.ok("exec", "cp1", "cat", f"/{marker}") == "A"
    teu.ok("rm", "-f", "cp1")


def test_update(teu) -> None:
    cid = teu.ok("run", "-d", "--name", "up", "--memory", "64m", IMAGE, "sleep", "60").strip()
    teu.ok("update", "--memory", "96m", "--pids-limit", "40", "--cpus", "0.5",
           "--restart", "on-failure:2", "up")
    info = teu.inspect("up")
    assert info["HostConfig"]["Memory"] == 96 << 20
    assert info["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    pid = info["State"]["Pid"]
    cg = {c: p for line in open(f"/proc/{pid}/cgroup")
          for _, cs, p in [line.strip().split(":", 2)] for c in cs.split(",")}
    assert open(f"/sys/fs/cgroup/memory{cg['memory']}/memory.limit_in_bytes").read().strip() \
        == str(96 << 20)
    assert open(f"/sys/fs/cgroup/pids{cg['pids']}/pids.max").read().strip() == "40"
    assert open(f"/sys/fs/cgroup/cpu{cg['cpu']}/cpu.cfs_quota_us").read().strip() == "50000"
    p = teu("update", "--memory", "12q", "up")
    assert p.returncode == 125 and "12q" in p.stderr  # docker: a bad flag value, 125
    assert teu("update", "up").returncode == 1  # docker: "you must provide one or more flags"
    teu.ok("rm", "-f", cid)


def test_port_system_and_info(teu) -> None:
    teu.ok("run", "-d", "--name", "po", IMAGE, "sleep", "60")
    assert teu.ok("port", "po") == ""
    p = teu("port", "po", "80")
    assert p.returncode == 1 and "No public port '80/tcp'" in p.stderr
    df = teu.ok("system", "df").splitlines()
    assert df[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert df[1].split()[:3] == ["Images", "1", "1"]
    assert df[2].split()[:3] == ["Containers", "1", "1"]
    info = teu.ok("info")
    assert "Running: 1" in info and "Storage Driver: overlay" in info
    assert teu.ok("info", "-f", "{{.ContainersRunning}}") == "1\n"
    teu.ok("run", "--name", "gone", "-v", "/anon", IMAGE, "true")
    teu.ok("volume", "create", "unused")
    t0 = time.time()
    out = teu.ok("system", "prune", "-f", "--volumes")
    assert "Deleted Containers:" in out and "Deleted Volumes:" in out
    # one prune event per kind pruned, with the bytes reclaimed, as dockerd's
    pruned = teu.ok("events", "--since", f"{t0:.3f}", "--until", f"{time.time():.3f}",
                    "--filter", "event=prune", "--format", "{{.Type}} {{.Actor.ID}}"
                    "{{range $k, $v := .Actor.Attributes}} {{$k}}{{end}}").splitlines()
    assert pruned == ["container  reclaimed", "network  reclaimed", "volume  reclaimed",
                      "image  reclaimed"], pruned
    assert teu.ok("ps", "-a", "--format", "{{.Names}}").split() == ["po"]
    # like docker 23+, prune takes anonymous volumes only; named ones stay
    assert teu.ok("volume", "ls", "-q").split() == ["unused"]
    # prunes' label filters (docker's): label=K[=V] must match, label!= must not
    teu.ok("volume", "create", "--label", "k=1", "lab")
    assert "lab" not in teu.ok("volume", "prune", "-f", "-a", "--filter", "label=k=2",
                               "--filter", "label!=nothing")
    assert "lab" in teu.ok("volume", "prune", "-f", "-a", "--filter", "label=k=1")
    assert teu.ok("volume", "ls", "-q").split() == ["unused"]
    bad = teu("image", "prune", "-f", "--filter", "colour=red")
    assert bad.returncode != 0 and "invalid filter 'colour'" in bad.stderr, bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    teu.ok("rm", "-f", "po")


def test_flags_not_implemented_are_refused_not_ignored(teu) -> None:
    for args in (("cp", "-a", "x:/a", "/tmp/b"), ("cp", "-L", "x:/a", "/tmp/b"),
                 ("ps", "-s"), ("volume", "create", "-o", "type=tmpfs", "v-opt")):
        p = teu(*args)
        assert p.returncode == 125 and "not supported yet" in p.stderr, (args, p.stderr)
