"""The same docker CLI 28.2 and docker-py scripts against `teu system service` and a
private dockerd 20.10 (network none there): equal observations."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from tests.integration.dockerapi_helpers import (
    DOCKER_CLI,
    Service,
    services_over,
    shared_dockerd,
    side_by_side,
)
from tests.integration.engine_helpers import IMAGE, private_teu

pytestmark = [pytest.mark.root, pytest.mark.peer]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    yield from services_over(private_teu(tmp_path_factory.mktemp("teu")))


@pytest.fixture(scope="module")
def dockerd(request: pytest.FixtureRequest):  # noqa: ANN201
    return shared_dockerd(request)


def cli_script(env: dict) -> dict[str, Any]:
    """docker CLI verbs as a user types them; what each printed and returned."""
    def docker(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
        p = subprocess.run([DOCKER_CLI, *args], env=env, capture_output=True, timeout=60,
                           input=input, stdin=None if input is not None else subprocess.DEVNULL)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    seen: dict[str, Any] = {}
    net = "--network=none"
    seen["run-rm"] = docker("run", "--rm", net, IMAGE, "sh", "-c", "echo out; echo err >&2; exit 3")
    code, cid, _ = docker("run", "-d", net, "--name", "web", "-e", "A=1", "--label", "k=v",
                          IMAGE, "sh", "-c", "echo started; sleep 30")
    cid = cid.strip()
    seen["run-d"] = (code, len(cid))
    seen["ps"] = docker("ps", "--format", "{{.Names}} {{.Image}} {{.Labels}}")
    seen["exec"] = docker("exec", "web", "sh", "-c", "echo $A; echo e >&2; exit 4")
    seen["exec-i"] = docker("exec", "-i", "web", "cat", input=b"fed\n")
    seen["exec-missing"] = docker("exec", "nosuch", "true")[0]
    with tempfile.TemporaryDirectory() as d:
        Path(d, "in.txt").write_text("copied\n")
        seen["cp-in"] = docker("cp", f"{d}/in.txt", "web:/tmp/")[0]
        seen["cp-in-read"] = docker("exec", "web", "cat", "/tmp/in.txt")[1]
        seen["cp-out"] = docker("cp", "web:/tmp/in.txt", f"{d}/out.txt")[0]
        seen["cp-out-read"] = Path(d, "out.txt").read_text()
        seen["cp-missing"] = docker("cp", "web:/nosuch", f"{d}/x")[:1]
    seen["inspect"] = docker("inspect", "-f", "{{.Name}} {{.State.Status}} {{.Config.Env}} "
                             "{{.Config.Labels}}", "web")[1].replace("PATH=", "").split()[:2]
    seen["logs"] = docker("logs", "web")
    seen["stop"] = docker("stop", "-t", "1", "web")[0]
    seen["ps-a"] = docker("ps", "-a", "--filter", "name=web", "--format", "{{.Names}}")
    seen["logs-f-stopped"] = docker("logs", "-f", "web")
    seen["rm-missing"] = docker("rm", "nosuch")[0]
    seen["rm"] = docker("rm", "web")[0]
    seen["ps-empty"] = docker("ps", "-aq")
    seen["images"] = docker("images", "--format", "{{.Repository}}:{{.Tag}}")
    seen["tag"] = docker("tag", IMAGE, "other:1")[0]
    seen["rmi"] = docker("rmi", "other:1")
    seen["history"] = docker("history", "-q", IMAGE)[0]
    seen["volume-create"] = docker("volume", "create", "v1")
    seen["volume-use"] = docker("run", "--rm", net, "-v", "v1:/data", IMAGE, "sh", "-c",
                                "echo kept > /data/f")[0]
    seen["volume-read"] = docker("run", "--rm", net, "-v", "v1:/data", IMAGE, "cat", "/data/f")
    seen["volume-ls"] = docker("volume", "ls", "--format", "{{.Driver}} {{.Name}}")
    seen["volume-rm"] = docker("volume", "rm", "v1")
    seen["volume-rm-missing"] = docker("volume", "rm", "v1")[0]
    seen["system-df"] = docker("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}")
    return seen


def test_docker_cli_same_as_dockerd(api: Service, dockerd: Any) -> None:
    theirs, ours = side_by_side(lambda: cli_script(dockerd.env), lambda: cli_script(api.env))
    assert ours == theirs
    assert ours["run-rm"] == (3, "out\n", "err\n")
    assert "Traceback" not in api.log_text()


def test_bad_input_like_dockerd(api: Service, dockerd: Any) -> None:
    from tests.integration.dockerapi_helpers import UnixHTTPConnection

    def ask(sock: str) -> list[tuple[int, bool]]:
        out = []
        for method, path, body in (
                ("POST", "/v1.41/containers/create", b"{not json"),
                ("POST", "/v1.41/containers/create", b'{"Image": "busybox", "Bogus": 1}'),
                ("POST", "/v1.41/containers/create", b'{"Image": "nosuch:1"}'),
                ("GET", "/v1.41/containers/nosuch/json", None),
                ("POST", "/v1.41/containers/nosuch/wait", None),
                ("DELETE", "/v1.41/containers/nosuch", None)):
            conn = UnixHTTPConnection(sock)
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            import json

            data = json.loads(r.read())
            out.append((r.status, isinstance(data.get("message"), str)))
            conn.close()
        return out

    theirs, ours = side_by_side(lambda: ask(dockerd.sock), lambda: ask(api.sock))
    # Malformed JSON: dockerd 20.10 answers 500, newer dockerd (and teu) 400.
    assert theirs[0] == (500, True) and ours[0] == (400, True)
    assert ours[1:] == theirs[1:]
    assert api.json("GET", "/containers/json?all=1") == (200, [])  # nothing half-made


docker = pytest.importorskip("docker", reason="docker-py is in teu's test extra")


def py_script(client: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    run = client.containers.run
    seen["run"] = run(IMAGE, "echo hi", remove=True, network_mode="none")
    try:
        run(IMAGE, ["sh", "-c", "echo bad >&2; exit 2"], network_mode="none", remove=True)
    except docker.errors.ContainerError as e:
        seen["container-error"] = (e.exit_status, e.stderr)
    c = client.containers.create(IMAGE, ["sh", "-c", "echo a; sleep 0.3; echo b; sleep 30"],
                                 network_mode="none", labels={"x": "y"})
    seen["created"] = (c.status, c.labels)
    c.start()
    c.reload()
    seen["started"] = c.status
    seen["stream"] = b"".join(x for _, x in zip(range(2), c.logs(stream=True), strict=False))
    seen["exec"] = tuple(c.exec_run(["sh", "-c", "echo x; exit 5"]))
    seen["exec-demux"] = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True).output
    seen["list"] = [x.id == c.id for x in client.containers.list(filters={"label": "x=y"})]
    c.kill()
    seen["wait"] = c.wait()["StatusCode"]
    c.remove()
    seen["gone"] = type(_raises(lambda: client.containers.get(c.id))).__name__
    return seen


def _raises(fn: Any) -> BaseException | None:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the class is the observation
        return e
    return None


def test_docker_py_same_as_dockerd(api: Service, dockerd: Any) -> None:
    theirs, ours = side_by_side(
        lambda: py_script(docker.DockerClient(base_url=dockerd.url, version="1.41")),
        lambda: py_script(docker.DockerClient(base_url=api.url, version="1.41")))
    assert ours == theirs
    assert ours["exec"] == (5, b"x\n") and ours["wait"] == 137
