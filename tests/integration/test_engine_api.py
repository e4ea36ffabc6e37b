"""teu.api.Client drives real containers: every verb, from Python, in this process."""

from __future__ import annotations

import os
import time

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu, wait_until

from teu.api import Client
from teu.engine.errors import Conflict, InvalidArgument, NotFound
from teu.errors import TeuError

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


@pytest.fixture
def api(teu) -> Client:  # noqa: ANN001
    return Client(str(teu.root), str(teu.runroot))


def test_run_foreground_captures_output_and_code(api: Client) -> None:
    mnt_before = os.readlink("/proc/self/ns/mnt")
    r = api.run(IMAGE, "echo out; echo err >&2; exit 3", remove=True)
    assert (r.exit_code, r.stdout, r.stderr) == (3, b"out\n", b"err\n")
    assert os.readlink("/proc/self/ns/mnt") == mnt_before  # the caller is left alone
    assert api.ps(all=True) == []
    r = api.run(IMAGE, ["tr", "a-z", "A-Z"], remove=True, stdin=b"abc")
    assert r.stdout == b"ABC"


def test_run_options(api: Client, tmp_path) -> None:
    (tmp_path / "d").mkdir()
    r = api.run(IMAGE, "echo $X; id -u; pwd; ls /data; grep CapEff /proc/self/status",
                remove=True, env=["X=1"], user="1000", workdir="/tmp",
                volume=[f"{tmp_path / 'd'}:/data"], cap_drop=["ALL"], read_only=True,
                memory="32m", pids_limit=20, hostname="apihost")
    lines = r.stdout.decode().split("\n")
    assert lines[:3] == ["1", "1000", "/tmp"]
    assert "CapEff:\t0000000000000000" in r.stdout.decode()


def test_detached_lifecycle(api: Client) -> None:
    r = api.run(IMAGE, "echo hi; sleep 60", detach=True, name="d1", label=["a=b"])
    assert r.exit_code is None and len(r.id) == 64
    [row] = api.ps()
    assert row["Names"] == "d1" and row["State"] == "running"
    wait_until(lambda: api.logs("d1")[0] == b"hi\n", 10, "the log")
    e = api.exec("d1", ["sh", "-c", "echo $0 $HOME; exit 4"])
    assert e.exit_code == 4 and e.stdout == b"sh /root\n"
    assert api.exec("d1", "id -u", user="user").stdout == b"1000\n"
    api.pause("d1")
    assert api.inspect("d1")["State"]["Paused"]
    api.unpause("d1")
    api.rename("d1", "d2")
    assert api.inspect("d2")["Config"]["Labels"] == {"a": "b"}
    started = time.monotonic()
    api.stop("d2", timeout=1)
    assert time.monotonic() - started < 8
    assert api.wait("d2") == 137
    api.start("d2")
    assert api.inspect("d2")["State"]["Running"]
    api.restart("d2", timeout=0)
    api.kill("d2", "SIGKILL")
    assert api.wait("d2") == 137
    api.remove("d2")
    assert api.ps(all=True) == []


def test_create_start_and_prune(api: Client) -> None:
    cid = api.create(IMAGE, ["sh", "-c", "exit 5"], name="c1")
    assert api.inspect(cid)["State"]["Status"] == "created"
    api.start(cid)
    assert api.wait(cid) == 5
    assert api.prune() == [cid]


def test_volumes(api: Client) -> None:
    name = api.volume_create("apivol", labels={"k": "v"})
    assert name == "apivol"
    assert api.volume_inspect("apivol")["Labels"] == {"k": "v"}
    api.run(IMAGE, "echo x > /v/f", remove=True, volume=["apivol:/v"])
    assert api.run(IMAGE, "cat /v/f", remove=True, volume=["apivol:/v"]).stdout == b"x\n"
    assert [v["Name"] for v in api.volumes()] == ["apivol"]
    api.volume_remove("apivol")
    assert api.volume_prune(all=True) == []


def test_errors_carry_docker_codes(api: Client) -> None:
    with pytest.raises(InvalidArgument) as e:
        api.run(IMAGE, "true", memory="12q")
    assert e.value.exit_code == 125
    with pytest.raises(TeuError) as e:
        api.run("nosuchimage", "true", pull="never")
    assert e.value.exit_code == 125 and "No such image" in str(e.value)
    with pytest.raises(TeuError) as e:
        api.run(IMAGE, ["nonexistent"], remove=True)
    assert e.value.exit_code == 127
    api.run(IMAGE, "sleep 60", detach=True, name="busy")
    with pytest.raises(Conflict):
        api.run(IMAGE, "true", name="busy")
    with pytest.raises(Conflict):
        api.remove("busy")
    api.remove("busy", force=True)
    with pytest.raises(NotFound):
        api.inspect("busy")


def test_files_and_resources(api: Client, tmp_path) -> None:
    api.run(IMAGE, "echo x > /tmp/f; sleep 60", detach=True, name="fr", memory="64m")
    wait_until(lambda: api.exec("fr", "cat /tmp/f").stdout == b"x\n", 10, "the file")
    top = api.top("fr")
    assert "PID" in top["Titles"] and any("sleep 60" in " ".join(p) for p in top["Processes"])
    s = api.stats("fr")
    assert s["Name"] == "fr" and "/ 64MiB" in s["MemUsage"]
    assert ("A", "/tmp/f") in api.diff("fr")
    (tmp_path / "in").write_text("in")
    api.copy(str(tmp_path / "in"), "fr:/tmp/in")
    api.copy("fr:/tmp/f", str(tmp_path / "out"))
    assert (tmp_path / "out").read_text() == "x\n"
    assert api.exec("fr", ["cat", "/tmp/in"]).stdout == b"in"
    api.update("fr", memory="96m")
    assert api.inspect("fr")["HostConfig"]["Memory"] == 96 << 20
    image = api.commit("fr", "fromapi:1", changes=['CMD ["cat", "/tmp/f"]'])
    assert image.startswith("sha256:")
    assert api.run("fromapi:1", remove=True).stdout == b"x\n"
    api.export("fr", str(tmp_path / "fs.tar"))
    import tarfile

    with tarfile.open(tmp_path / "fs.tar") as t:
        assert "tmp/f" in t.getnames()
    assert api.info()["ContainersRunning"] == 1
    assert [r["Type"] for r in api.df()] == ["Images", "Containers", "Local Volumes",
                                             "Build Cache"]
    api.remove("fr", force=True)
    api.run(IMAGE, "true", name="done")
    assert api.system_prune()["containers"]


def test_health_through_the_api(api: Client) -> None:
    api.run(IMAGE, "sleep 60", detach=True, name="hh", health_cmd="true",
            health_interval="1h")
    assert api.healthcheck("hh") == "healthy"
    assert api.inspect("hh")["State"]["Health"]["Status"] == "healthy"
    api.remove("hh", force=True)
