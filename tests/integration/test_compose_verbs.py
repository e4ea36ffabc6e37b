"""Attached `teu compose up` (prefixed logs, Ctrl-C stops everything, a second Ctrl-C
kills, --abort-on-container-exit, --exit-code-from) and the verbs on a running project
(logs, exec, run, top, port, stop/start/restart, pause/unpause, kill, rm, cp, images,
ls, ps --format json/--status, profiles, down --remove-orphans), inside a test host."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import host_teu, wait_for

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


PROJECT = f"""
name: verbs
services:
  job:
    image: {IMAGE}
    command: sh -c 'for i in 1 2 3; do echo job step $$i; sleep 0.2; done; exit 4'
  web:
    image: {IMAGE}
    command: sh -c 'echo web up; echo web warn >&2; exec httpd -f -p 80'
    ports: ["127.0.0.1:8082:80"]
    stop_signal: SIGKILL
  tool:
    image: {IMAGE}
    profiles: [tools]
    command: echo the tool ran
"""


def on_a_terminal(teu, args: list[str], typed: bytes) -> tuple[int, str]:  # noqa: ANN001
    """teu run as from a user's terminal: a pty as its controlling terminal (40x100), its
    stdin, stdout and stderr; `typed` written once the command asks to read. (exit code,
    what the terminal showed)."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))

    def controlling() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(teu.cmd(*args), stdin=slave, stdout=slave, stderr=slave,
                            env=teu.env, preexec_fn=controlling)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 1)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every writer of the terminal is gone
                    break
                if not chunk:
                    break
                out += chunk
                if typed and b"ready" in out:
                    os.write(master, typed)
                    typed = b""
            elif proc.poll() is not None:
                break
        return proc.wait(30), out.decode(errors="replace").replace("\r\n", "\n")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_attached_up(teu, tmp_path) -> None:  # noqa: ANN001
    proj = tmp_path / "verbs"
    proj.mkdir()
    (proj / "compose.yaml").write_text(PROJECT)
    c = ["compose", "--project-directory", str(proj)]
    # --exit-code-from: job exits 4, everything is stopped, teu answers 4.
    out = teu(*c, "up", "--exit-code-from", "job", "-t", "1", timeout=60)
    assert out.returncode == 4, out.stderr
    lines = out.stdout.splitlines()
    assert "job-1  | job step 1" in lines and "job-1  | job step 3" in lines
    assert "web-1  | web up" in lines and "web-1  | web warn" in lines
    assert "job-1 exited with code 4" in lines
    assert "Aborting on container exit..." in out.stderr
    assert "Attaching to job-1, web-1" in out.stderr
    states = {json.loads(x)["Service"]: json.loads(x)["State"]
              for x in teu.ok(*c, "ps", "-a", "--format", "json").splitlines()}
    assert states == {"job": "exited", "web": "exited"}
    # Ctrl-C: "Gracefully stopping", everything stopped, exit 130; a second one kills.
    # httpd as pid 1 ignores SIGTERM: one press waits out the grace period (1 s), and with
    # a grace period of 300 s only the second press's kill ends it within the timeout.
    for presses, grace in ((1, "1s"), (2, "300s")):
        (proj / "compose.yaml").write_text(
            PROJECT.replace("stop_signal: SIGKILL", f"stop_grace_period: {grace}"))
        # The one-press run starts teu with SIGINT ignored, as a script's background job
        # is: Ctrl-C must still stop the project (docker compose's does).
        ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if presses == 1 else None
        p = subprocess.Popen(teu.cmd(*c, "up", "web"), env=teu.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=ignore)
        try:
            assert wait_for(lambda: teu(*c, "ps", "-q").stdout.strip(), 20)
            time.sleep(0.5)
            p.send_signal(signal.SIGINT)
            if presses == 2:
                time.sleep(1)
                p.send_signal(signal.SIGINT)
            stdout, stderr = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        assert p.returncode == 130, stderr
        assert "Gracefully stopping... (press Ctrl+C again to force)" in stderr
        assert " Container verbs-web-1  Stopped" in stderr
        assert teu.ok(*c, "ps", "-q") == ""
    # --abort-on-container-exit without a code-from gives the first exit's code.
    (proj / "compose.yaml").write_text(PROJECT)
    out = teu(*c, "up", "--abort-on-container-exit", timeout=60)
    assert out.returncode == 4, out.stderr
    teu.ok(*c, "down", "-t", "0")


def test_verbs_on_a_running_project(teu, tmp_path) -> None:  # noqa: ANN001
    proj = tmp_path / "verbs"
    proj.mkdir()
    (proj / "compose.yaml").write_text(PROJECT)
    c = ["compose", "--project-directory", str(proj)]
    # run before anything is up: it makes the project's network itself.
    assert teu.ok(*c, "run", "--rm", "tool") == "the tool ran\n"
    teu.ok(*c, "up", "-d")
    assert teu(*c, "wait", "job").returncode == 4  # the job's exit code
    assert teu.ok(*c, "ps", "--services") == "web\n"
    assert teu.ok(*c, "ps", "--status", "exited", "-q").count("\n") == 1
    logs = teu.ok(*c, "logs").splitlines()
    assert "job-1  | job step 2" in logs and "web-1  | web up" in logs
    assert teu.ok(*c, "logs", "--no-log-prefix", "web").splitlines() == ["web up", "web warn"]
    assert teu.ok(*c, "exec", "-T", "web", "hostname") == \
        teu.inspect("verbs-web-1")["Config"]["Hostname"] + "\n"
    assert teu(*c, "exec", "-T", "web", "sh", "-c", "exit 7").returncode == 7
    assert teu.ok(*c, "port", "web", "80") == "127.0.0.1:8082\n"
    top = teu.ok(*c, "top", "web")
    assert top.startswith("verbs-web-1\nUID") and "httpd -f -p 80" in top
    # run: a one-off container of a service (its profile enabled by naming it).
    assert teu.ok(*c, "run", "--rm", "tool") == "the tool ran\n"
    assert teu(*c, "run", "--rm", "-T", "web", "sh", "-c", "exit 3").returncode == 3
    # From a terminal: a TTY of its own (the terminal's size), what is typed read, the
    # exit code passed on; -T: no TTY, the typed line still its stdin.
    script = "tty; stty size; echo ready; read x; echo got $x; exit 5"
    code, shown = on_a_terminal(teu, [*c, "run", "--rm", "web", "sh", "-c", script],
                                b"hello\n")
    assert code == 5, shown
    assert "/dev/pts/0\n40 100\n" in shown and "got hello\n" in shown
    code, shown = on_a_terminal(teu, [*c, "run", "--rm", "-T", "web", "sh", "-c", script],
                                b"hello\n")
    assert code == 5, shown
    assert "not a tty\n" in shown and "got hello\n" in shown
    out = teu.ok(*c, "run", "-d", "--name", "oneoff", "web", "sleep", "30")
    assert out == "oneoff\n"
    assert teu.inspect("oneoff")["Config"]["Labels"]["com.docker.compose.oneoff"] == "True"
    assert not teu.inspect("oneoff")["HostConfig"]["PortBindings"]  # no --service-ports
    teu.ok("rm", "-f", "oneoff")
    # cp both ways.
    (tmp_path / "in.txt").write_text("copied in\n")
    teu.ok(*c, "cp", str(tmp_path / "in.txt"), "web:/tmp/in.txt")
    assert teu.ok(*c, "exec", "-T", "web", "cat", "/tmp/in.txt") == "copied in\n"
    teu.ok(*c, "cp", "web:/tmp/in.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_text() == "copied in\n"
    # pause/unpause, stop/start, restart, kill, rm.
    teu.ok(*c, "pause", "web")
    assert teu.inspect("verbs-web-1")["State"]["Status"] == "paused"
    teu.ok(*c, "unpause", "web")
    assert teu.inspect("verbs-web-1")["State"]["Status"] == "running"
    # events: the journal's history since a time (--since, --until: then it ends), and
    # the live stream; one-off containers left out, compose's labels dropped.
    log = tmp_path / "live.json"
    with open(log, "w") as live_out:
        live = subprocess.Popen(teu.cmd(*c, "events", "--json"), env=teu.env,
                                stdout=live_out, stderr=subprocess.DEVNULL)
    try:
        def poke() -> bool:  # until the stream is seen to follow
            teu.ok(*c, "pause", "web")
            teu.ok(*c, "unpause", "web")
            return '"unpause"' in log.read_text()

        assert wait_for(poke, 30)
        since = time.time()
        teu.ok(*c, "stop", "web")
        assert teu.inspect("verbs-web-1")["State"]["Status"] == "exited"
        teu.ok(*c, "start", "web")
        teu.ok(*c, "run", "--rm", "-T", "web", "true")
        history = [json.loads(x) for x in teu.ok(
            *c, "events", "--json", "--since", str(since), "--until", str(time.time()),
            "web").splitlines()]
        assert wait_for(lambda: '"start"' in log.read_text(), 20)
    finally:
        live.send_signal(signal.SIGINT)
        live.wait(20)
    streamed = [json.loads(x) for x in log.read_text().splitlines()]
    for seen in (history, streamed):
        actions = [(e["action"], e["service"]) for e in seen]
        assert ("die", "web") in actions and ("start", "web") in actions, actions
        assert actions.index(("die", "web")) < actions.index(("start", "web"))
        assert {e["id"] for e in seen} == {teu.inspect("verbs-web-1")["Id"]}  # no one-off
        die = seen[[a for a, _ in actions].index("die")]
        assert die["attributes"]["name"] == "verbs-web-1" and "exitCode" in die["attributes"]
        assert not [k for e in seen for k in e["attributes"]
                    if k.startswith("com.docker.compose.")]
        assert sorted(die) == ["action", "attributes", "id", "service", "time", "type"]
    text = teu.ok(*c, "events", "--since", str(since), "--until", str(time.time()))
    assert " container die " in text and text.endswith(")\n\n")
    started = teu.inspect("verbs-web-1")["State"]["StartedAt"]
    teu.ok(*c, "restart", "web")
    assert teu.inspect("verbs-web-1")["State"]["StartedAt"] != started
    images = teu.ok(*c, "images").splitlines()
    assert images[0].split() == ["CONTAINER", "REPOSITORY", "TAG", "IMAGE", "ID", "SIZE"]
    assert teu.ok("compose", "ls").splitlines()[1].split()[:3] == [
        "verbs", "exited(1),", "running(1)"]
    teu.ok(*c, "kill", "web")
    assert teu.inspect("verbs-web-1")["State"]["Status"] == "exited"
    out = teu(*c, "rm", "-f")
    assert " Container verbs-web-1  Removed" in out.stderr
    assert teu.ok(*c, "ps", "-a", "-q") == ""
    # An orphan: a service gone from the file is reported, and removed on request.
    teu.ok(*c, "up", "-d")
    (proj / "compose.yaml").write_text(PROJECT.split("  web:")[0])
    out = teu(*c, "up", "-d")
    assert "Found orphan containers (['verbs-web-1'])" in out.stderr
    teu.ok(*c, "down", "--remove-orphans", "-t", "0")
    assert teu.ok("ps", "-a", "-q") == ""
    assert "verbs_default" not in teu.ok("network", "ls", "--format", "{{.Name}}")


def test_watch_syncs_and_rebuilds(teu, tmp_path) -> None:  # noqa: ANN001
    proj = tmp_path / "w"
    (proj / "src").mkdir(parents=True)
    (proj / "Dockerfile").write_text(f"FROM {IMAGE}\nRUN echo v1 > /version\n")
    (proj / "compose.yaml").write_text("""
services:
  app:
    build: .
    command: sleep 300
    init: true  # a rebuild replaces the container: sleep gets the SIGTERM
    develop:
      watch:
        - {action: sync, path: ./src, target: /app, ignore: ["*.tmp"]}
        - {action: rebuild, path: Dockerfile}
""")
    c = ["compose", "--project-directory", str(proj)]
    p = subprocess.Popen(teu.cmd(*c, "watch"), env=teu.env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)

    def cat(path: str) -> str:
        return teu(*c, "exec", "-T", "app", "cat", path).stdout

    try:
        assert wait_for(lambda: teu(*c, "ps", "-q").stdout.strip(), 60)
        assert wait_for(lambda: cat("/version") == "v1\n", 10)
        time.sleep(1)  # the watch's first snapshot is taken after up
        (proj / "src" / "sub").mkdir()
        (proj / "src" / "sub" / "b.txt").write_text("two\n")
        (proj / "src" / "skip.tmp").write_text("no\n")
        assert wait_for(lambda: cat("/app/sub/b.txt") == "two\n", 15)
        assert teu(*c, "exec", "-T", "app", "ls", "/app").stdout.split() == ["sub"]
        (proj / "src" / "sub" / "b.txt").unlink()
        assert wait_for(lambda: teu(*c, "exec", "-T", "app", "ls", "/app/sub").stdout == "",
                        15)
        (proj / "Dockerfile").write_text(f"FROM {IMAGE}\nRUN echo v2 > /version\n")
        assert wait_for(lambda: cat("/version") == "v2\n", 60)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0
    assert "Watch enabled" in err and 'Syncing service "app" after 1 changed files' in err
    assert 'Rebuilding service(s) ["app"]' in err
    teu.ok(*c, "down", "-t", "0")
