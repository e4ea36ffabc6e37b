"""Issue 8, the engine's part: behaviour a docker 20.10 user relies on, each pinned
against what docker does (said in each test)."""

from __future__ import annotations

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


def test_detached_oom_kill_is_recorded(teu) -> None:
    """docker: State.OOMKilled true, exit 137, for -d as for a foreground run."""
    cid = teu.ok("run", "-d", "--memory", "8m", IMAGE, "sh", "-c", HOG).strip()
    assert teu.ok("wait", cid).strip() == "137"
    state = teu.inspect(cid)["State"]
    assert state["OOMKilled"] is True and state["ExitCode"] == 137
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
    container exits quickly four times (restart backoff 0.1, 0.2, 0.4, 0.8 s), then
    would run for a minute: rm -f in the restart window must not wait for that run."""
    script = ("n=$(cat /count 2>/dev/null || echo 0); echo $((n+1)) > /count; "
              "[ $n -ge 3 ] && sleep 60; exit 0")
    for attempt in range(2):
        name = f"again{attempt}"
        teu.ok("run", "-d", "--name", name, "--restart", "always", IMAGE, "sh", "-c", script)
        wait_until(lambda n=name: teu.inspect(n)["RestartCount"] >= 2
                   and teu.inspect(n)["State"]["Status"] == "restarting", 20)
        start = time.monotonic()
        p = teu("rm", "-f", name, timeout=40)
        assert p.returncode == 0, p.stderr
        assert time.monotonic() - start < 10
        assert teu("inspect", name).returncode != 0
        time.sleep(1.5)  # the restart that was pending must not bring it back
        assert teu.rows() == []
