"""teu.api from a threaded program: containers run in some threads while others list and
inspect. The engine's forked calls must not inherit a lock another thread held at the
fork (SQLite's, the allocator's, the import lock): the workload runs in a subprocess
with a deadline, so a hang fails the test instead of blocking the suite."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu

pytestmark = pytest.mark.root

WORKLOAD = textwrap.dedent("""
    import sys, threading
    from teu.api import Client

    root, runroot, image, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    client = Client(root, runroot)
    done = threading.Event()
    errors = []

    def runner(i):
        try:
            for n in range(runs):
                out = client.containers.run(image, ["echo", f"{i}.{n}"], remove=True,
                                            network_mode="none")
                assert out == f"{i}.{n}\\n".encode(), out
                r = client.sandbox.run("echo sandboxed", image=image)
                assert r.ok and r.stdout == b"sandboxed\\n", r
        except BaseException as e:
            errors.append(f"runner: {e!r}")

    def inspector():
        try:
            while not done.is_set():
                for c in client.containers.list(all=True, ignore_removed=True):
                    try:
                        c.reload()
                    except Exception:  # removed meanwhile
                        pass
        except BaseException as e:
            errors.append(f"inspector: {e!r}")

    runners = [threading.Thread(target=runner, args=(i,)) for i in range(2)]
    inspectors = [threading.Thread(target=inspector) for _ in range(2)]
    for t in runners + inspectors:
        t.start()
    for t in runners:
        t.join()
    done.set()
    for t in inspectors:
        t.join()
    print("errors:", errors)
    sys.exit(1 if errors else 0)
""")


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def test_threads_running_and_inspecting_never_hang(teu) -> None:  # noqa: ANN001
    proc = subprocess.Popen([sys.executable, "-c", WORKLOAD, str(teu.root),
                             str(teu.runroot), IMAGE, "15"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        import os
        import signal

        os.killpg(proc.pid, signal.SIGKILL)  # the workload and its hung children
        proc.communicate()
        pytest.fail("the threaded workload hung (a forked child inherited a held lock)")
    assert proc.returncode == 0, out.decode()


INTERRUPTED = textwrap.dedent("""
    import signal, sys
    from teu.api import Client

    # Python leaves SIGINT ignored when it starts with it ignored (a background job of a
    # non-interactive shell, as a CI runner may start the suite): take the default
    # KeyboardInterrupt handler, as a program run from a terminal has
    signal.signal(signal.SIGINT, signal.default_int_handler)

    client = Client(sys.argv[1], sys.argv[2])
    try:
        # PID 1 ignores a signal it has no handler for (docker's too): this one traps it
        client.containers.run(sys.argv[3], ["sh", "-c", "trap 'exit 130' INT; echo trapped; sleep 60 & wait"],
                              name="slow", network_mode="none")
    except KeyboardInterrupt:
        print("interrupted", flush=True)
""")


def test_keyboard_interrupt_reaches_the_run(teu) -> None:  # noqa: ANN001
    import os
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED, str(teu.root),
                             str(teu.runroot), IMAGE], stdout=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        # running is not enough: until its shell has set the trap, SIGINT to PID 1 is
        # ignored (seen once in a clean-clone CI run)
        while "trapped" not in teu("logs", "slow").stdout:
            assert time.monotonic() < deadline, "the container never started"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGINT)  # the caller alone, not its process group
        out, _ = proc.communicate(timeout=30)
        assert out == b"interrupted\n"
        # the worker got it too and passed it on (docker run's sig-proxy): the run ends
        # instead of going on, orphaned
        deadline = time.monotonic() + 30
        while teu.ok("ps", "-q", "--filter", "name=slow").strip():
            assert time.monotonic() < deadline, "the run outlived its interrupted caller"
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
