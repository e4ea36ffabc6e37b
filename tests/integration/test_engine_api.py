"""teu.api drives real containers in docker-py's shape, from Python, in this process."""

from __future__ import annotations

import io
import os
import tarfile
import time

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu, wait_until

import teu as teu_pkg
from teu.api import Client, Container
from teu.errors import APIError, Conflict, ContainerError, ImageNotFound, InvalidArgument, NotFound

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


@pytest.fixture
def client(teu) -> Client:  # noqa: ANN001
    return Client(str(teu.root), str(teu.runroot))


def test_from_env_and_the_package_entry(teu, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TEU_ROOT", str(teu.root))
    monkeypatch.setenv("TEU_RUNROOT", str(teu.runroot))
    c = teu_pkg.from_env()
    assert isinstance(c, teu_pkg.Client) and c.root == str(teu.root)
    assert [i.tags for i in c.images.list()] == [["busybox:latest"]]


def test_run_foreground_returns_output_and_leaves_the_caller_alone(client: Client) -> None:
    mnt_before = os.readlink("/proc/self/ns/mnt")
    # A string command is split like a shell, never wrapped in sh -c (docker-py's rule).
    assert client.containers.run(IMAGE, "echo 'a  b' c", remove=True) == b"a  b c\n"
    assert os.readlink("/proc/self/ns/mnt") == mnt_before
    out = client.containers.run(IMAGE, ["sh", "-c", "echo out; echo err >&2"],
                                stdout=True, stderr=True, remove=True)
    assert out == b"out\nerr\n"
    assert client.containers.run(IMAGE, ["sh", "-c", "echo out; echo err >&2"],
                                 stdout=False, stderr=True, remove=True) == b"err\n"
    assert client.containers.list(all=True) == []


def test_container_error_carries_status_and_stderr(client: Client) -> None:
    with pytest.raises(ContainerError) as e:
        client.containers.run(IMAGE, ["sh", "-c", "echo bad >&2; exit 3"], name="fails")
    assert e.value.exit_status == 3 and e.value.stderr == b"bad\n"
    assert e.value.image == IMAGE and isinstance(e.value.container, Container)
    assert e.value.container.name == "fails" and e.value.container.status == "exited"
    e.value.container.remove()


def test_docker_py_keyword_forms(client: Client, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("host file\n")
    out = client.containers.run(
        IMAGE, ["sh", "-c", "echo $X $Y; id -u; pwd; cat /data/f; cat /proc/self/status"],
        remove=True, environment={"X": "1", "Y": "two"}, user="1000", working_dir="/tmp",
        volumes={str(tmp_path / "d"): {"bind": "/data", "mode": "ro"}},
        cap_drop=["ALL"], read_only=True, mem_limit="32m", pids_limit=20,
        labels={"app": "x"}, hostname="apihost").decode()
    lines = out.split("\n")
    assert lines[:4] == ["1 two", "1000", "/tmp", "host file"]
    assert "CapEff:\t0000000000000000" in out
    c = client.containers.run(IMAGE, detach=True, labels=["a", "b"],
                              environment=["E=f"], mem_limit=64 * 1024 * 1024,
                              restart_policy={"Name": "on-failure", "MaximumRetryCount": 2},
                              entrypoint="/bin/sh -c", command="exec sleep 61")
    try:
        assert c.labels == {"a": "", "b": ""}
        assert "E=f" in c.attrs["Config"]["Env"]
        assert c.attrs["HostConfig"]["Memory"] == 64 << 20
        assert c.attrs["HostConfig"]["RestartPolicy"] == {"Name": "on-failure",
                                                          "MaximumRetryCount": 2}
        assert c.attrs["Config"]["Entrypoint"] == ["/bin/sh", "-c"]
        assert c.attrs["Config"]["Cmd"] == ["exec", "sleep", "61"]  # split like a shell
    finally:
        c.remove(force=True)


def test_strict_keywords_and_values(client: Client) -> None:
    with pytest.raises(TypeError, match="memroy"):
        client.containers.run(IMAGE, "true", memroy="64m")
    with pytest.raises(TypeError, match="remove"):
        client.containers.create(IMAGE, "true", remove=True)
    with pytest.raises(InvalidArgument) as e:
        client.containers.run(IMAGE, "true", mem_limit="12q")
    assert e.value.status_code == 400 and e.value.is_client_error()
    with pytest.raises(InvalidArgument, match="links"):
        client.containers.run(IMAGE, "true", links={"a": "b"})
    assert client.containers.list(all=True) == []  # nothing was made


def test_detached_lifecycle_logs_stream_and_wait(client: Client) -> None:
    c = client.containers.run(IMAGE, ["sh", "-c", "echo one; sleep 1; echo two >&2; "
                                      "sleep 1; exit 4"], detach=True, name="d1")
    assert len(c.id) == 64 and c.short_id == c.id[:12] and c.name == "d1"
    assert c.status == "running"
    seen = []
    started = time.monotonic()
    for chunk in c.logs(stream=True, follow=True):
        seen.append((chunk, time.monotonic() - started))
    assert [s[0] for s in seen] == [b"one\n", b"two\n"]
    assert seen[0][1] < seen[1][1]  # yielded as written, not at the end
    assert c.wait() == {"StatusCode": 4, "Error": None}
    assert c.logs(stderr=False) == b"one\n" and c.logs(stdout=False) == b"two\n"
    c.reload()
    assert c.status == "exited" and c.attrs["State"]["ExitCode"] == 4
    c.start()
    with pytest.raises(TimeoutError):
        c.wait(timeout=0.2)
    c.kill()
    assert c.wait()["StatusCode"] == 137
    c.remove()
    with pytest.raises(NotFound):
        client.containers.get("d1")


def test_exec_run_forms(client: Client) -> None:
    c = client.containers.run(IMAGE, "sleep 60", detach=True)
    try:
        assert c.exec_run("sh -c 'echo $0 $HOME; exit 4'") == (4, b"sh /root\n")
        code, (out, err) = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
        assert (code, out, err) == (0, b"o\n", b"e\n")
        assert c.exec_run("id -u", user="1000").output == b"1000\n"
        assert c.exec_run("pwd", workdir="/tmp").output == b"/tmp\n"
        assert c.exec_run(["sh", "-c", "echo $A"], environment={"A": "b"}).output == b"b\n"
        result = c.exec_run(["sh", "-c", "echo 1; sleep 0.5; echo 2"], stream=True)
        assert result.exit_code is None and b"".join(result.output) == b"1\n2\n"
        c.pause()
        c.reload()
        assert c.status == "paused"
        with pytest.raises(Conflict):
            c.exec_run("true")
        c.unpause()
    finally:
        c.remove(force=True)


def test_archives_diff_commit_export_stats_top(client: Client) -> None:
    c = client.containers.run(IMAGE, ["sh", "-c", "mkdir -p /srv/a; echo x > /srv/a/f; "
                                      "sleep 60"], detach=True, mem_limit="64m")
    try:
        wait_until(lambda: c.exec_run("cat /srv/a/f").output == b"x\n", 10, "the file")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            info = tarfile.TarInfo("put.txt")
            info.size = 3
            t.addfile(info, io.BytesIO(b"put"))
        assert c.put_archive("/srv", buf.getvalue()) is True
        assert c.exec_run("cat /srv/put.txt").output == b"put"
        chunks, stat = c.get_archive("/srv/a")
        assert stat["name"] == "a" and stat["mode"] & (1 << 31)  # a directory
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as t:
            assert t.extractfile("a/f").read() == b"x\n"
        assert {"Path": "/srv/a/f", "Kind": 1} in c.diff()
        top = c.top()
        assert "PID" in top["Titles"] and any("sleep 60" in " ".join(p)
                                              for p in top["Processes"])
        s = c.stats(stream=False)
        assert s["memory_stats"]["limit"] == 64 << 20 and s["pids_stats"]["current"] >= 1
        assert s["cpu_stats"]["cpu_usage"]["total_usage"] > 0
        with tarfile.open(fileobj=io.BytesIO(b"".join(c.export()))) as t:
            assert "srv/a/f" in t.getnames()
        image = c.commit("fromapi", "1", changes='CMD ["cat", "/srv/a/f"]')
        assert image.tags == ["fromapi:1"] and image.short_id.startswith("sha256:")
        assert client.containers.run("fromapi:1", remove=True) == b"x\n"
        c.update(mem_limit="96m")
        c.reload()
        assert c.attrs["HostConfig"]["Memory"] == 96 << 20
        c.rename("renamed")
        assert client.containers.get("renamed").id == c.id
    finally:
        c.remove(force=True)


def test_list_filters_prune_and_volumes(client: Client) -> None:
    a = client.containers.run(IMAGE, "sleep 60", detach=True, name="web-1",
                              labels={"tier": "front"})
    b = client.containers.create(IMAGE, "true", name="db-1")
    try:
        assert [c.name for c in client.containers.list()] == ["web-1"]
        assert {c.name for c in client.containers.list(all=True)} == {"web-1", "db-1"}
        assert [c.name for c in client.containers.list(
            all=True, filters={"label": "tier=front"})] == ["web-1"]
        assert [c.name for c in client.containers.list(
            all=True, filters={"status": "created"})] == ["db-1"]
        assert client.containers.prune()["ContainersDeleted"] == [b.id]
    finally:
        a.remove(force=True)
    v = client.volumes.create("apivol", labels={"k": "v"})
    assert v.name == "apivol" and v.attrs["Labels"] == {"k": "v"}
    client.containers.run(IMAGE, ["sh", "-c", "echo x > /v/f"], remove=True,
                          volumes=["apivol:/v"])
    assert client.containers.run(IMAGE, "cat /v/f", remove=True,
                                 volumes={"apivol": {"bind": "/v", "mode": "ro"}}) == b"x\n"
    assert [x.name for x in client.volumes.list()] == ["apivol"]
    v.remove()
    with pytest.raises(NotFound):
        client.volumes.get("apivol")


def test_images_collection(client: Client, tmp_path) -> None:  # noqa: ANN001
    image = client.images.get(IMAGE)
    assert image.tags == ["busybox:latest"] and image.id.startswith("sha256:")
    assert image.tag("copy", "v1") is True
    assert sorted(client.images.get("copy:v1").tags) == ["busybox:latest", "copy:v1"]
    assert [i.id for i in client.images.list("copy")] == [image.id]
    data = b"".join(client.images.get("copy:v1").save(named="copy:v1"))
    assert client.images.remove("copy:v1") == [{"Untagged": "copy:v1"}]
    [loaded] = client.images.load(data)
    assert "copy:v1" in loaded.tags
    assert image.history()[0]["Id"] == image.id
    with pytest.raises(ImageNotFound) as e:
        client.images.get("nosuch")
    assert e.value.status_code == 404 and isinstance(e.value, APIError)
    with pytest.raises(ImageNotFound):
        client.containers.run("nosuch", "true", pull="never")
