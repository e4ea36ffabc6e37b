"""Images through the Engine API, the same docker CLI 28.2 and docker-py scripts against
`teu system service` and a private dockerd 20.10, with a loopback docker-registry that
wants a password: login (/auth), push and pull (X-Registry-Auth, the JSON progress
stream), save/load, commit, build (/build with the tar context, the legacy builder's
stream), and their errors."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest
from image_helpers import Distribution
from tests.integration.dockerapi_helpers import (
    DOCKER_CLI,
    Service,
    services_over,
    shared_dockerd,
    side_by_side,
)
from tests.integration.engine_helpers import IMAGE, private_teu

from teu.registry.server.htpasswd import bcrypt_entry

pytestmark = [pytest.mark.root, pytest.mark.peer]
USER, PASSWORD = "alice", "wonderland"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    work = tmp_path_factory.mktemp("registry")
    htp = work / "htpasswd"
    htp.write_text(bcrypt_entry(USER, PASSWORD, rounds=5) + "\n")
    d = Distribution(work / "dist", htpasswd=htp).start()
    try:
        yield d
    finally:
        d.stop()


@pytest.fixture(scope="module")
def dockerd(request: pytest.FixtureRequest):  # noqa: ANN201
    return shared_dockerd(request)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    yield from services_over(private_teu(tmp_path_factory.mktemp("teu")))


def cli_script(env: dict, host: str, repo: str) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="teu-cli-"))
    env = {**env, "DOCKER_CONFIG": str(work / "config"), "DOCKER_BUILDKIT": "0"}

    def docker(*args: str, input: bytes | None = None, cwd: Path | None = None
               ) -> tuple[int, str, str]:
        p = subprocess.run([DOCKER_CLI, *args], env=env, capture_output=True, timeout=120,
                           input=input, cwd=cwd,
                           stdin=None if input is not None else subprocess.DEVNULL)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    seen: dict[str, Any] = {}
    ref = f"{host}/{repo}:1"
    seen["push-anonymous"] = docker("tag", IMAGE, ref)[0], docker("push", ref)[0]
    seen["login-bad"] = docker("login", "-u", USER, "-p", "nope", host)[0]
    seen["login"] = docker("login", "-u", USER, "--password-stdin", host,
                           input=PASSWORD.encode())[:2]
    push = docker("push", ref)
    seen["push"] = (push[0], push[1].splitlines()[0].replace(f"{host}/{repo}", "REPO"),
                    push[1].splitlines()[-1].startswith("1: digest: sha256:"))
    seen["push-missing"] = docker("push", f"{host}/nosuch:1")[0]
    seen["rmi"] = docker("rmi", ref)[0]
    pull = docker("pull", ref)
    seen["pull"] = (pull[0], pull[1].splitlines()[-1].replace(f"{host}/{repo}", "REPO"))
    # the tag is new, its image was here: dockerd says "Downloaded newer image" all the same
    seen["pull-status"] = pull[1].splitlines()[-2].replace(f"{host}/{repo}", "REPO")
    seen["pull-again"] = docker("pull", ref)[1].splitlines()[-2].replace(f"{host}/{repo}",
                                                                         "REPO")
    seen["pull-missing"] = docker("pull", f"{host}/nosuch:1")[0]
    seen["pulled"] = docker("run", "--rm", "--network=none", ref, "echo", "from-pull")
    docker("rmi", ref)
    # save and load
    tarball = work / "saved.tar"
    seen["save"] = docker("save", "-o", str(tarball), IMAGE)[0]
    docker("tag", IMAGE, "keep:1")  # the image stays; only its name goes
    seen["rmi-busybox"] = docker("rmi", IMAGE)[0]
    seen["load"] = docker("load", "-i", str(tarball))[:2]
    seen["save-missing"] = docker("save", "-o", str(work / "x.tar"), "nosuch")[0]
    seen["load-garbage"] = docker("load", input=b"not a tarball\n")[0]
    docker("rmi", "keep:1")
    # commit
    docker("run", "--network=none", "--name", "c1", IMAGE, "sh", "-c", "echo hi > /hello")
    seen["commit"] = docker("commit", "-c", 'CMD ["cat", "/hello"]', "-c", "ENV A=1",
                            "-m", "msg", "c1", "committed:1")[0]
    seen["run-committed"] = docker("run", "--rm", "--network=none", "committed:1")
    seen["committed"] = docker("inspect", "-f", "{{.Config.Cmd}} {{.Comment}}",
                               "committed:1")[1]
    seen["commit-missing"] = docker("commit", "nosuch", "x:1")[0]
    docker("rm", "c1")
    docker("rmi", "committed:1")
    # build
    ctx = work / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nARG V=0\nCOPY f /f\n"
                                    "RUN echo v$V >> /f\nCMD [\"cat\", \"/f\"]\n")
    (ctx / "f").write_text("copied\n")
    (ctx / "Dockerfile.bad").write_text("FROM busybox\nRUN exit 3\n")
    b = docker("build", "--network=none", "--build-arg", "V=7", "-t", "built:1", ".", cwd=ctx)
    seen["build"] = (b[0], b[1].splitlines()[-1])
    seen["run-built"] = docker("run", "--rm", "--network=none", "built:1")
    seen["build-fails"] = docker("build", "--network=none", "-f", "Dockerfile.bad", ".",
                                 cwd=ctx)[0] != 0
    seen["build-no-dockerfile"] = docker("build", "-f", "Nope", ".", cwd=ctx)[0]
    docker("rmi", "built:1")
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return seen


def test_images_cli_same_as_dockerd(api: Service, dockerd: Any, registry: Any) -> None:
    theirs, ours = side_by_side(lambda: cli_script(dockerd.env, registry.host, "theirs"),
                                lambda: cli_script(api.env, registry.host, "ours"))
    assert ours == theirs
    assert ours["push-anonymous"] == (0, 1) and ours["login-bad"] == 1
    assert ours["pulled"] == (0, "from-pull\n", "")
    assert ours["pull-status"] == "Status: Downloaded newer image for REPO:1"
    assert ours["pull-again"] == "Status: Image is up to date for REPO:1"
    assert ours["run-built"] == (0, "copied\nv7\n", "")
    assert ours["build"] == (0, "Successfully tagged built:1")
    assert "Traceback" not in api.log_text()


docker = pytest.importorskip("docker", reason="docker-py is in teu's test extra")


def py_script(client: Any, host: str, repo: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    auth = {"username": USER, "password": PASSWORD}
    seen["login"] = client.login(USER, PASSWORD, registry=host, reauth=True)["Status"]
    try:
        client.login(USER, "nope", registry=host, reauth=True)
    except docker.errors.APIError as e:
        seen["login-bad"] = e.status_code
    img = client.images.get(IMAGE)
    img.tag(f"{host}/{repo}", "py")
    out = client.images.push(f"{host}/{repo}", "py", auth_config=auth, stream=True,
                             decode=True)
    events = list(out)
    seen["push-aux"] = sorted(next(e["aux"] for e in events if "aux" in e))
    seen["push-errors"] = [e for e in events if "error" in e]
    client.images.remove(f"{host}/{repo}:py")
    pulled = client.images.pull(f"{host}/{repo}", tag="py", auth_config=auth)
    seen["pulled"] = sorted(t.replace(repo, "REPO") for t in pulled.tags)
    try:
        client.images.pull(f"{host}/nosuch", tag="1", auth_config=auth)
    except docker.errors.APIError as e:
        seen["pull-missing"] = type(e).__name__
    dockerfile = b"FROM busybox\nRUN echo py > /p\nCMD [\"cat\", \"/p\"]\n"
    ctx = io.BytesIO()
    with tarfile.open(fileobj=ctx, mode="w") as t:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        t.addfile(info, io.BytesIO(dockerfile))
    ctx.seek(0)
    image, _ = client.images.build(fileobj=ctx, custom_context=True, tag="pybuilt:1",
                                   network_mode="none", rm=True)
    seen["built"] = sorted(image.tags)
    seen["run-built"] = client.containers.run("pybuilt:1", remove=True, network_mode="none")
    bad = io.BytesIO()
    with tarfile.open(fileobj=bad, mode="w") as t:
        text = b"FROM busybox\nRUN exit 2\n"
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(text)
        t.addfile(info, io.BytesIO(text))
    bad.seek(0)
    try:
        client.images.build(fileobj=bad, custom_context=True, network_mode="none")
    except docker.errors.BuildError as e:
        seen["build-error"] = type(e).__name__
    c = client.containers.run(IMAGE, ["sh", "-c", "echo c > /c"], detach=True,
                              network_mode="none")
    c.wait()
    committed = c.commit("pycommit", "1", conf={"Cmd": ["cat", "/c"]})
    seen["commit"] = client.containers.run(committed.id, remove=True, network_mode="none")
    c.remove()
    for name in ("pybuilt:1", "pycommit:1", f"{host}/{repo}:py"):
        client.images.remove(name)
    return seen


def test_images_docker_py_same_as_dockerd(api: Service, dockerd: Any, registry: Any) -> None:
    theirs, ours = side_by_side(
        lambda: py_script(docker.DockerClient(base_url=dockerd.url, version="1.41"),
                          registry.host, "pytheirs"),
        lambda: py_script(docker.DockerClient(base_url=api.url, version="1.41"),
                          registry.host, "pyours"))
    # A refused login: dockerd 20.10 answers 500; teu 401, HTTP's status for it.
    assert theirs.pop("login-bad") == 500 and ours.pop("login-bad") == 401
    assert ours == theirs
    assert ours["run-built"] == b"py\n" and ours["commit"] == b"c\n"
    assert ours["login"] == "Login Succeeded" and ours["push-errors"] == []
