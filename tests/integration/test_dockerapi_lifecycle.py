"""Containers' lifecycle through the Engine API, the same docker CLI 28.2 and docker-py
scripts against `teu system service` and a private dockerd 20.10: stdin to its EOF
(`run -i`, `start -ai`), terminals (`run -it`, `exec -it`, resizes), signals, stop,
restart, pause, rename, top, stats, logs -f, diff, export, attach, wait conditions."""

from __future__ import annotations

import shlex
import subprocess
import tarfile
import tempfile
import threading
import time
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
NET = "--network=none"


@pytest.fixture(scope="module")
def dockerd(request: pytest.FixtureRequest):  # noqa: ANN201
    return shared_dockerd(request)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    yield from services_over(private_teu(tmp_path_factory.mktemp("teu")))


def _cli(env: dict):  # noqa: ANN202 - the script's docker()
    def docker(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
        p = subprocess.run([DOCKER_CLI, *args], env=env, capture_output=True, timeout=60,
                           input=input, stdin=None if input is not None else subprocess.DEVNULL)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    return docker


def _in_terminal(env: dict, command: str, typed: bytes) -> tuple[int, bytes]:
    """The docker CLI in a terminal of 33 rows and 101 columns (script(1) makes it),
    `typed` as its keyboard; the terminal's bytes and the exit code."""
    inner = f"stty rows 33 cols 101; {DOCKER_CLI} {command}"
    p = subprocess.run(["script", "-qec", inner, "/dev/null"], env=env, input=typed,
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout


def cli_script(env: dict) -> dict[str, Any]:
    docker = _cli(env)
    seen: dict[str, Any] = {}
    # stdin to its EOF: the container's stdin ends when the client's does
    seen["run-i"] = docker("run", "-i", "--rm", NET, IMAGE, "cat", input=b"fed\n")
    seen["run-i-code"] = docker("run", "-i", NET, "--name", "i1", IMAGE, "sh", "-c",
                                "read x; cat; echo got $x >&2; exit 3", input=b"a\nb\n")
    seen["start-ai"] = docker("start", "-ai", "i1", input=b"again\n")
    seen["rm-i"] = docker("rm", "i1")[0]
    # terminals: the container's output raw (CRLF), keys echoed, the size resized in
    prog = "sleep 0.5; tty; stty size; read x; echo got $x; exit 7"
    seen["run-it"] = _in_terminal(env, f"run -it --rm {NET} {IMAGE} sh -c {shlex.quote(prog)}",
                                  b"typed\n")
    docker("run", "-d", NET, "--name", "t1", IMAGE, "sleep", "60")
    seen["exec-it"] = _in_terminal(env, f"exec -it t1 sh -c {shlex.quote(prog)}", b"keys\n")
    docker("rm", "-f", "t1")
    # signals, wait, restart, pause, rename, top, stats, stop
    def up(times: int) -> None:  # the trap is set once the run said "up"
        deadline = time.monotonic() + 20
        while docker("logs", "l1")[1].count("up") < times and time.monotonic() < deadline:
            time.sleep(0.05)

    docker("run", "-d", NET, "--name", "l1", IMAGE, "sh", "-c",
           'trap "echo got-term; exit 9" TERM; echo up; sleep 1000 & wait')
    up(1)
    seen["kill-term"] = docker("kill", "-s", "TERM", "l1")[0]
    seen["wait"] = docker("wait", "l1")
    seen["logs"] = docker("logs", "l1")
    seen["start"] = docker("start", "l1")[0]
    up(2)
    seen["restart"] = docker("restart", "-t", "1", "l1")[0]
    up(3)
    seen["logs-3-runs"] = docker("logs", "l1")
    seen["pause"] = docker("pause", "l1")[0]
    seen["paused"] = docker("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "l1")
    seen["exec-paused"] = docker("exec", "l1", "true")[0]
    seen["unpause"] = docker("unpause", "l1")[0]
    seen["unpaused"] = docker("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "l1")
    seen["rename"] = docker("rename", "l1", "l2")[0]
    seen["renamed"] = docker("inspect", "-f", "{{.Name}}", "l2")
    top = docker("top", "l2", "-o", "pid,comm")
    seen["top"] = (top[0], sorted({line.split()[-1] for line in top[1].splitlines()}))
    stats = docker("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "l2")
    seen["stats"] = (stats[0], stats[1].split()[0], stats[1].split()[1].isdigit())
    seen["rm-running"] = docker("rm", "l2")[0]
    seen["stop"] = docker("stop", "-t", "1", "l2")[0]
    seen["stopped"] = docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "l2")
    seen["kill-stopped"] = docker("kill", "l2")[0]
    seen["rm"] = docker("rm", "l2")[0]
    # logs -f of a running container until its end; attach to one
    docker("run", "-d", NET, "--name", "f1", IMAGE, "sh", "-c",
           "echo a; sleep 0.5; echo b; exit 4")
    seen["logs-f"] = docker("logs", "-f", "f1")
    seen["wait-f"] = docker("wait", "f1")
    docker("rm", "f1")
    docker("run", "-d", NET, "--name", "a1", IMAGE, "sh", "-c",
           "sleep 0.5; echo attached; exit 6")
    seen["attach"] = docker("attach", "a1")
    docker("rm", "a1")
    # what a container changed: diff, export
    docker("run", NET, "--name", "d1", IMAGE, "sh", "-c",
           "mkdir /newdir; echo x > /newdir/f; rm /bin/zcat")
    seen["diff"] = sorted(docker("diff", "d1")[1].splitlines())
    with tempfile.TemporaryDirectory() as d:
        out = Path(d, "fs.tar")
        with open(out, "wb") as f:
            code = subprocess.run([DOCKER_CLI, "export", "d1"], env=env, stdout=f,
                                  timeout=60).returncode
        with tarfile.open(out) as t:
            names = set(t.getnames())
            seen["export"] = (code, "newdir/f" in names, "bin/zcat" in names,
                              t.extractfile("newdir/f").read())  # type: ignore[union-attr]
    docker("rm", "d1")
    seen["missing"] = [docker(verb, "nosuch") for verb in ("kill", "stop", "pause", "unpause")]
    return seen


def test_lifecycle_cli_same_as_dockerd(api: Service, dockerd: Any) -> None:
    theirs, ours = side_by_side(lambda: cli_script(dockerd.env), lambda: cli_script(api.env))
    assert ours == theirs
    assert ours["run-i"] == (0, "fed\n", "")
    assert ours["run-i-code"] == (3, "b\n", "got a\n")
    assert b"33 101\r\n" in ours["run-it"][1] and ours["run-it"][0] == 7
    assert ours["logs-3-runs"][1] == "up\ngot-term\nup\ngot-term\nup\n"
    assert "Traceback" not in api.log_text()


docker = pytest.importorskip("docker", reason="docker-py is in teu's test extra")


def py_script(client: Any) -> dict[str, Any]:
    """docker-py's waits: next-exit asked before the start, removed with auto-remove."""
    seen: dict[str, Any] = {}
    c = client.containers.create(IMAGE, ["sh", "-c", "sleep 0.5; exit 3"],
                                 network_mode="none")
    result: dict[str, Any] = {}
    waiter = threading.Thread(target=lambda: result.update(c.wait(condition="next-exit")))
    waiter.start()
    time.sleep(0.5)
    c.start()
    waiter.join(30)
    seen["next-exit"] = result.get("StatusCode")
    c.remove()
    r = client.containers.create(IMAGE, ["sh", "-c", "sleep 0.5; exit 2"],
                                 network_mode="none", auto_remove=True)
    r.start()
    seen["removed"] = r.wait(condition="removed")["StatusCode"]
    seen["gone"] = r.id not in [x.id for x in client.containers.list(all=True)]
    s = client.containers.run(IMAGE, "sleep 30", detach=True, network_mode="none")
    one = s.stats(stream=False)
    seen["stats-one"] = sorted(k for k in ("read", "pids_stats", "memory_stats", "cpu_stats")
                               if k in one)
    stream = s.stats(stream=True, decode=True)
    seen["stats-stream"] = [sorted(k for k in ("read", "precpu_stats") if k in next(stream))
                            for _ in range(2)]
    s.remove(force=True)
    return seen


def test_waits_and_stats_same_as_dockerd(api: Service, dockerd: Any) -> None:
    theirs, ours = side_by_side(
        lambda: py_script(docker.DockerClient(base_url=dockerd.url, version="1.41")),
        lambda: py_script(docker.DockerClient(base_url=api.url, version="1.41")))
    assert ours == theirs
    assert ours["next-exit"] == 3 and ours["removed"] == 2 and ours["gone"]


def events_script(env: dict) -> dict[str, list[str]]:
    """`docker events`: a live stream with filters over a container's life (it must wake
    for each event and end nothing early), then the history of the whole script replayed
    with --since/--until, container, image, network and volume events."""
    import re

    docker = _cli(env)
    from docker import APIClient  # docker-py (importorskip'd below): resizes are the API's

    api = APIClient(base_url=env["DOCKER_HOST"], version="1.41")
    t0 = time.time()
    fmt = "{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}"
    live = subprocess.Popen(
        [DOCKER_CLI, "events", "--filter", "type=container", "--filter", "label=ev=1",
         "--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    lines: list[str] = []
    try:
        docker("version")  # the stream is open once a request after it is answered
        time.sleep(0.2)
        docker("run", "-d", NET, "--name", "evother", IMAGE, "true")  # filtered out
        docker("wait", "evother")  # its exit before the next create, for both engines
        docker("run", "-d", NET, "--name", "ev1", "--label", "ev=1", IMAGE, "sh", "-c",
               "sleep 2; exit 3")
        docker("exec", "ev1", "sh", "-c", "exit 5")
        docker("pause", "ev1")
        docker("unpause", "ev1")
        api.resize("ev1", 24, 80)  # no TTY: dockerd reports it all the same
        docker("wait", "ev1")
        docker("rename", "ev1", "ev2")
        docker("rm", "ev2")
        docker("rm", "-f", "evother")
        assert live.stdout is not None
        for raw in live.stdout:  # the stream wakes for each event; the last one ends it
            lines.append(raw.decode().strip())
            if lines[-1].startswith("destroy ev2"):
                break
    finally:
        live.kill()
        live.wait()
    docker("tag", IMAGE, "evtag:1")
    docker("rmi", "evtag:1")
    docker("volume", "create", "evv")
    docker("run", "--rm", NET, "--name", "evvol", "-v", "evv:/data", IMAGE, "true")
    docker("volume", "rm", "evv")
    with tempfile.TemporaryDirectory() as d:
        docker("save", "-o", f"{d}/saved.tar", IMAGE)
        docker("load", "-i", f"{d}/saved.tar")
        # the verbs that change no state report too: top, commit, export, cp, update
        docker("run", "-d", "-t", NET, "--name", "evm", "--label", "k=v", IMAGE, "sleep", "30")
        api.resize("evm", 40, 120)  # a TTY's resize (/containers/{id}/resize)
        ex = api.exec_create("evm", ["sleep", "0.3"], tty=True)["Id"]
        api.exec_start(ex, detach=True, tty=True)
        api.exec_resize(ex, 30, 90)  # an exec's resize: dockerd reports none
        while api.exec_inspect(ex)["Running"]:
            time.sleep(0.05)
        time.sleep(0.2)  # dockerd logs exec_die just after the exec stops running
        docker("top", "evm")
        docker("commit", "-m", "msg", "evm", "evcommit:1")
        docker("export", "-o", f"{d}/fs.tar", "evm")
        Path(d, "in.txt").write_text("x")
        docker("cp", f"{d}/in.txt", "evm:/tmp/")
        docker("cp", "evm:/tmp/in.txt", f"{d}/out.txt")
        docker("update", "--cpu-shares", "512", "evm")
        docker("rm", "-f", "evm")
        docker("rmi", "evcommit:1")
    # prunes: one event per call with the bytes reclaimed; filters keep the shared dockerd's
    # other objects (what the other modules left) out of it
    docker("run", NET, "--name", "evp", "--label", "evp=1", IMAGE, "sh", "-c",
           "head -c 1000 /dev/zero >/f")  # reclaimed: the bytes the container wrote
    docker("container", "prune", "-f", "--filter", "label=evp=1")
    for kind in ("image", "volume", "network"):
        docker(kind, "prune", "-f", "--filter", "label=evp-none=1")
    t1 = time.time()  # a health check: probes reported as execs, then the change of health
    docker("run", "-d", NET, "--name", "evh", "--health-cmd", "true", "--health-interval",
           "1s", IMAGE, "sleep", "30")
    deadline = time.monotonic() + 30
    while docker("inspect", "-f", "{{.State.Health.Status}}", "evh")[1].strip() != \
            "healthy" and time.monotonic() < deadline:
        time.sleep(0.1)
    docker("rm", "-f", "evh")
    until = time.time() + 0.2
    history = docker("events", "--since", f"{t0:.3f}", "--until", f"{t1:.3f}",
                     "--format", fmt)[1]
    health = docker("events", "--since", f"{t1:.3f}", "--until", f"{until:.3f}", "--filter",
                    "container=evh", "--format", "{{.Action}} {{json .Actor.Attributes}}")[1]
    ids = re.compile(r"(sha256:)?[0-9a-f]{64}")
    probes = [ids.sub("ID", line) for line in health.splitlines()]
    first = next((i for i, x in enumerate(probes) if x.startswith("health_status")), 0)
    last = next((i for i, x in enumerate(probes) if x.startswith("kill")), len(probes))
    return {"live": [line for line in lines if line.split()[0] != "attach"],
            "history": [ids.sub("ID", line) for line in history.splitlines()],
            "health": probes[:first + 1] + probes[last:]}  # the probes after: as many as fit


def test_events_same_as_dockerd(api: Service, dockerd: Any) -> None:
    theirs, ours = side_by_side(lambda: events_script(dockerd.env),
                                lambda: events_script(api.env))
    assert ours == theirs
    assert ours["live"] == ["create ev1 <no value>", "start ev1 <no value>",
                            "exec_create: sh -c exit 5 ev1 <no value>",
                            "exec_start: sh -c exit 5 ev1 <no value>", "exec_die ev1 5",
                            "pause ev1 <no value>", "unpause ev1 <no value>",
                            "resize ev1 <no value>", "die ev1 3",
                            "rename ev2 <no value>", "destroy ev2 <no value>"]
    assert [line.split(" {")[0] for line in ours["health"]] == [
        "create", "start", "exec_create: /bin/sh -c true", "exec_start: /bin/sh -c true",
        "exec_die", "health_status: healthy", "kill", "die", "destroy"]
    kinds = {line.split()[0] + " " + line.split()[1] for line in ours["history"]}
    assert {"container create", "container die", "network connect", "volume mount",
            "volume destroy", "image tag", "image untag", "image save", "image load",
            "container top", "container commit", "container export",
            "container extract-to-dir", "container archive-path", "container update",
            "image delete", "container resize", "container prune", "image prune",
            "volume prune", "network prune"} <= kinds
    assert 'container prune  {"reclaimed":"1000"}' in ours["history"]
