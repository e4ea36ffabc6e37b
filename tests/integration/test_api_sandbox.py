"""client.sandbox.run contains hostile code: each attack is stopped, reported, and leaves
nothing behind (the private teu fixture checks for containers, mounts and cgroups)."""

from __future__ import annotations

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu

from teu.api import Client
from teu.errors import InvalidArgument

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


@pytest.fixture
def sandbox(teu):  # noqa: ANN001, ANN201
    return Client(str(teu.root), str(teu.runroot)).sandbox


def test_plain_code_with_files_and_stdin(sandbox) -> None:  # noqa: ANN001
    r = sandbox.run("cat /sandbox/data.txt; tr a-z A-Z; id -u; echo err >&2", image=IMAGE,
                    files={"data.txt": "given\n"}, stdin=b"abc\n")
    assert r.ok and r.exit_code == 0 and not r.killed
    assert r.stdout == b"given\nABC\n65534\n" and r.stderr == b"err\n"
    assert r.duration > 0 and r.cpu_seconds >= 0
    r = sandbox.run("echo $((6*7))", image=IMAGE, interpreter=["sh"])
    assert r.stdout == b"42\n"


def test_infinite_loop_is_killed_at_the_timeout(sandbox) -> None:  # noqa: ANN001
    r = sandbox.run("while :; do :; done", image=IMAGE, timeout=1.5)
    assert r.killed and r.reason == "timeout" and r.exit_code == 137
    assert 1.5 <= r.duration < 10


def test_memory_hog_is_oom_killed(sandbox) -> None:  # noqa: ANN001
    # busybox's sh keeps a growing variable in memory: 2^n bytes until the limit
    r = sandbox.run("x=y; while :; do x=$x$x; done", image=IMAGE, memory="16m", timeout=30)
    assert r.killed and r.reason == "oom" and r.exit_code == 137


def test_fork_bomb_hits_the_pids_limit(sandbox) -> None:  # noqa: ANN001
    r = sandbox.run("bomb() { bomb | bomb & }; bomb; sleep 2; echo alive", image=IMAGE,
                    pids=20, timeout=5)
    # the bomb ran into the pids limit ("can't fork") and everything it made is gone
    # with the container (the fixture checks no process, cgroup or mount is left)
    assert b"fork" in r.stderr or b"Resource temporarily unavailable" in r.stderr


def test_no_network_no_writes_no_host_files(sandbox, tmp_path) -> None:  # noqa: ANN001
    secret = tmp_path / "host-secret"
    secret.write_text("do not read")
    r = sandbox.run(f"cat {secret}; wget -q -T 2 -O- http://127.0.0.1:1/ ; "
                    "ip -o link | grep -v ' lo:' | wc -l; "
                    "echo x > /etc/x; echo x > /sandbox/x; echo ok > /tmp/ok; cat /tmp/ok; "
                    "grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status",
                    image=IMAGE)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert "do not read" not in out
    assert out.splitlines()[0] == "0"  # no interface but loopback
    assert "Read-only file system" in err and err.count("Read-only file system") == 2
    assert "ok\n" in out and "CapEff:\t0000000000000000" in out and "NoNewPrivs:\t1" in out


def test_refuses_root_and_bad_arguments(sandbox) -> None:  # noqa: ANN001
    with pytest.raises(InvalidArgument):
        sandbox.run("id", image=IMAGE, user="0")
    with pytest.raises(InvalidArgument):
        sandbox.run("id", image=IMAGE, files={"../escape": "x"})
    with pytest.raises(InvalidArgument):
        sandbox.run("id", image=IMAGE, timeout=0)
