"""The program starts with every signal at its default and none blocked, whoever
started the runtime (docker and runc guarantee it; Python ignores SIGPIPE and SIGXFSZ
at start, and a script's background job runs with SIGINT ignored).

Every path is started from a caller that ignores SIGINT and SIGQUIT and blocks
SIGUSR1, so a leak of the caller's state shows as well as one of Python's.
"""

from __future__ import annotations

import signal

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu
from tests.integration.proc_helpers import wait_until

pytestmark = pytest.mark.root

# grep looks at itself. In a script it is not the last command: busybox sh, as pid 1,
# ignores SIGQUIT for itself (with runc too) and would exec the last one in its place.
GREP = ["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]
STATUS = "grep -E '^Sig(Blk|Ign):' /proc/self/status"


def status_to(path: str) -> str:
    return f"{STATUS} > {path}; true"
CLEAN = "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"


def hostile_caller() -> None:
    """In the child before it execs teu: what a careless parent leaves behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGQUIT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def test_engine_paths_start_programs_with_default_signals(teu) -> None:
    kw = {"preexec_fn": hostile_caller}
    assert teu.ok("run", "--rm", IMAGE, *GREP, **kw) == CLEAN
    assert teu.ok("run", "--name", "fg", IMAGE, *GREP, **kw) == CLEAN  # logged
    cid = teu.ok("run", "-d", IMAGE, "sh", "-c", f"{STATUS}; sleep 60", **kw).strip()
    wait_until(lambda: teu.ok("logs", cid) != "", what="the detached container's output")
    assert teu.ok("logs", cid) == CLEAN  # through conmon
    assert teu.ok("exec", cid, *GREP, **kw) == CLEAN
    assert teu.ok("exec", "-d", cid, "sh", "-c", status_to("/tmp/d"), **kw) == ""
    wait_until(lambda: teu("exec", cid, "cat", "/tmp/d").stdout == CLEAN,
               what="the detached exec's output")
    teu.ok("rm", "-f", cid, "fg")


def test_runtime_cli_paths_start_programs_with_default_signals(runtime, make_bundle) -> None:
    kw = {"preexec_fn": hostile_caller}
    b = make_bundle(GREP)
    assert runtime("run", "--bundle", str(b.path), runtime.new_id(), check=True,
                   **kw).stdout == CLEAN
    b = make_bundle(["sh", "-c", status_to("/status") + "; sleep 60"])
    b.config["root"]["readonly"] = False
    b.save()
    cid = runtime.new_id()
    runtime("create", "--bundle", str(b.path), cid, check=True, **kw)
    runtime("start", cid, check=True, **kw)
    status = b.rootfs / "status"
    wait_until(lambda: status.exists() and status.read_text() == CLEAN,
               what="the created container's output")
    assert runtime("exec", cid, *GREP, check=True, **kw).stdout == CLEAN
    runtime("exec", "--detach", cid, "sh", "-c", status_to("/status2"), check=True, **kw)
    status2 = b.rootfs / "status2"
    wait_until(lambda: status2.exists() and status2.read_text() == CLEAN,
               what="the detached exec's output")


def test_a_writer_inside_dies_of_sigpipe(teu) -> None:
    """SIGPIPE at its default: `yes` dies of it quietly when head leaves (docker)."""
    p = teu("run", "--rm", IMAGE, "sh", "-c", "yes | head -c 10; echo; echo done")
    assert p.stdout == "y\ny\ny\ny\ny\n\ndone\n" and p.stderr == "", p.stderr


@pytest.mark.parametrize("flag", ["--rm", "--name=logged"])
def test_teu_run_into_head_returns(teu, flag: str) -> None:
    """`teu run IMG sh -c 'while true; do echo y; done' | head -1` returns at once, as
    docker's does: the teu the user waits on ends when its stdout's reader has gone
    (exit 141, SIGPIPE's), the container runs on under its monitor (sh, as pid 1, is
    not killed by SIGPIPE), printing no "Broken pipe" anywhere."""
    import subprocess
    import tempfile
    import time

    start = time.monotonic()
    # Files, not pipes, for the shell's own output: the container that runs on holds
    # them (its stderr is ours), and pipes would stay open as long as it runs.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        subprocess.run(f"{' '.join(teu.cmd('run', flag, IMAGE))} sh -c "
                       "'while true; do echo y; done' | head -1; echo \"${PIPESTATUS[0]}\"",
                       shell=True, executable="/bin/bash", env=teu.env, stdout=out,
                       stderr=err, stdin=subprocess.DEVNULL, timeout=60)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    assert time.monotonic() - start < 20
    assert stdout == "y\n141\n" and "Broken pipe" not in stderr, stderr[:300]
    ps = teu.ok("ps", "--format", "{{.Status}}")
    assert ps.startswith("Up"), ps  # removed by the fixture's cleanup (rm -f)


def test_sigint_trap_fires_when_the_caller_ignored_sigint(teu) -> None:
    """A shell cannot trap a signal ignored at its start: the container's must not be."""
    script = "trap 'echo trapped; exit 3' INT; kill -INT $$; sleep 5; echo missed"
    p = teu("run", "--rm", IMAGE, "sh", "-c", script, preexec_fn=hostile_caller)
    assert (p.returncode, p.stdout) == (3, "trapped\n"), p.stderr
