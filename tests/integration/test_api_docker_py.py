"""The same docker-py script against teu.api (in-process) and against a real dockerd 20.10
through docker-py: the results must be equal. Each step's observation is what a user
of docker-py would look at (outputs, exit codes, exception classes, attributes)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest
from tests.integration.engine_helpers import IMAGE, private_dockerd, private_teu

from teu.api import Client

pytestmark = [pytest.mark.root, pytest.mark.peer]

docker = pytest.importorskip("docker", reason="docker-py is in teu's test extra")


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


@pytest.fixture
def dockerd(tmp_path: Path):  # noqa: ANN201
    yield from private_dockerd(tmp_path)


def _tar(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o640
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _raises(fn: Any) -> tuple[str, Any]:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the class name is the observation
        return type(e).__name__, getattr(e, "exit_status", None)
    return "no error", None


def scenario(client: Any, errors: Any, hostdir: Path) -> dict[str, Any]:
    """docker-py code as a user writes it; what it observed, step by step."""
    seen: dict[str, Any] = {}
    run = client.containers.run
    net = {"network_mode": "none"}
    seen["run"] = run(IMAGE, "echo 'a  b' c", remove=True, **net)
    seen["run-stderr"] = run(IMAGE, ["sh", "-c", "echo o; echo e >&2"], stdout=False,
                             stderr=True, remove=True, **net)
    try:
        run(IMAGE, ["sh", "-c", "echo bad >&2; exit 3"], name="fails", **net)
        seen["container-error"] = None
    except errors.ContainerError as e:
        seen["container-error"] = (e.exit_status, e.stderr, e.container.name)
        e.container.remove()
    seen["unknown-keyword"] = _raises(lambda: run(IMAGE, "true", memroy="64m", **net))
    seen["no-container"] = _raises(lambda: client.containers.get("nosuch"))
    seen["no-image"] = _raises(lambda: client.images.get("nosuchimage:1"))
    seen["not-found-is-api-error"] = issubclass(errors.NotFound, errors.APIError)

    c = run(IMAGE, ["sh", "-c", "echo one; sleep 0.5; echo two"], detach=True,
            labels={"app": "demo"}, environment={"X": "1"}, **net)
    seen["streamed"] = b"".join(c.logs(stream=True, follow=True))
    seen["wait"] = c.wait()["StatusCode"]
    c.reload()
    seen["detached"] = (c.status, c.labels, "X=1" in c.attrs["Config"]["Env"],
                        c.attrs["State"]["ExitCode"], c.logs())
    c.remove()

    (hostdir / "f").write_text("from the host\n")
    volumes = {str(hostdir): {"bind": "/data", "mode": "ro"}}
    seen["volume-read"] = run(IMAGE, "cat /data/f", volumes=volumes, remove=True, **net)
    seen["volume-ro"] = _raises(lambda: run(IMAGE, ["sh", "-c", "echo x > /data/g"],
                                            volumes=volumes, remove=True, **net))

    c = run(IMAGE, "sleep 60", detach=True, **net)
    seen["exec"] = tuple(c.exec_run("echo hi"))
    code, (out, err) = c.exec_run(["sh", "-c", "echo o; echo e >&2; exit 2"], demux=True)
    seen["exec-demux"] = (code, out, err)
    seen["exec-env-workdir"] = tuple(c.exec_run(["sh", "-c", "echo $A; pwd"],
                                                environment={"A": "b"}, workdir="/tmp"))
    seen["put"] = c.put_archive("/tmp", _tar("put.txt", b"put"))
    seen["put-read"] = c.exec_run("cat /tmp/put.txt").output
    chunks, stat = c.get_archive("/tmp/put.txt")
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as t:
        member = t.getmember("put.txt")
        seen["get"] = (stat["name"], stat["size"], stat["mode"], member.mode & 0o7777,
                       t.extractfile(member).read())
    c.kill()
    seen["killed"] = c.wait()["StatusCode"]
    c.remove()
    seen["left"] = [x.name for x in client.containers.list(all=True)]
    return seen


def test_docker_py_script_gives_the_same_results(teu, dockerd, tmp_path: Path) -> None:  # noqa: ANN001
    import teu.api.errors as teu_errors

    (tmp_path / "teu-data").mkdir()
    (tmp_path / "docker-data").mkdir()
    ours = scenario(Client(str(teu.root), str(teu.runroot)), teu_errors, tmp_path / "teu-data")
    dc = docker.DockerClient(base_url=dockerd.url)
    try:
        theirs = scenario(dc, docker.errors, tmp_path / "docker-data")
    finally:
        dc.close()
    assert ours == theirs
    # and what both saw is what docker-py documents
    assert ours["run"] == b"a  b c\n" and ours["container-error"] == (3, b"bad\n", "fails")
    assert ours["unknown-keyword"][0] == "TypeError"
    assert ours["exec-demux"] == (2, b"o\n", b"e\n")
