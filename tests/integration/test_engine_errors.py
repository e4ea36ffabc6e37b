"""Bad input to the container verbs: one clear line, docker's exit code (125 for run and
create and for bad flags, 1 for the other verbs' failures), nothing half-made.
And teu killed with SIGKILL at any moment of `run`: no mount, cgroup, state or row
is left that the next teu does not make whole or remove."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from tests.integration.engine_helpers import (
    IMAGE,
    container_cgroups,
    mounts_under,
    private_teu,
    wait_until,
)
from tests.integration.proc_helpers import command_line, pids_with_env

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def one_line(p: subprocess.CompletedProcess) -> str:
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr
    return lines[0]


def nothing_made(teu) -> None:  # noqa: ANN001
    assert teu.rows() == []
    containers = teu.root / "containers"
    assert not containers.exists() or os.listdir(containers) == []


@pytest.mark.parametrize("flags, text", [
    (["--memory", "12q"], 'invalid argument "12q" for "-m, --memory" flag'),
    (["--cpus", "-1"], "range of CPUs"),
    (["--cpus", "abc"], "--cpus"),
    (["--memory-swap", "1g"], "memory limit"),
    (["--memory", "1k"], "minimum memory limit"),
    (["--pids-limit", "x"], "--pids-limit"),
    (["--ulimit", "nofile=10:5"], "soft limit"),
    (["--ulimit", "bogus=1"], "invalid ulimit type"),
    (["--restart", "sometimes"], "invalid restart policy"),
    (["--restart", "always", "--rm"], "conflicting options"),
    (["--cap-add", "NOT_A_CAP"], "unknown capability"),
    (["--security-opt", "seccomp=/nonexistent.json"], "seccomp profile"),
    (["--security-opt", "nonsense"], "--security-opt"),
    (["-v", "relative:dest"], "absolute path"),
    (["--name", "bad/name"], "Invalid container name"),
    (["--tmpfs", "relative"], "tmpfs"),
    (["-w", "relative"], "absolute path"),
    (["--network", "nosuchnet"], "network nosuchnet not found"),
    (["--health-interval", "5x", "--health-cmd", "true"], "--health-interval"),
    (["--stop-signal", "SIGNOPE"], "invalid signal"),
    (["--secret", "src=/nonexistent"], "no such file"),
    (["--pull", "sometimes"], "pull policy"),
    (["--bogus-flag"], "unknown flag: --bogus-flag"),
])
def test_invalid_flags(teu, flags: list[str], text: str) -> None:
    p = teu("run", "--rm", *flags, IMAGE, "true")
    assert p.returncode == 125
    assert text in p.stderr, p.stderr
    nothing_made(teu)


def test_unknown_image(teu) -> None:
    p = teu("run", "--rm", "--pull", "never", "nosuchimage", "true")
    assert p.returncode == 125 and "No such image: nosuchimage" in one_line(p)
    # missing: tries a pull, which fails fast against a closed port on loopback
    p = teu("run", "--rm", "localhost:1/nosuch:img", "true")
    assert p.returncode == 125
    assert "Unable to find image 'localhost:1/nosuch:img' locally" in p.stderr
    p = teu("create", "--pull", "never", "nosuchimage")
    assert p.returncode == 125
    nothing_made(teu)


def test_name_in_use(teu) -> None:
    teu.ok("create", "--name", "taken", IMAGE, "true")
    p = teu("run", "--name", "taken", IMAGE, "true")
    assert p.returncode == 125
    assert 'The container name "/taken" is already in use' in one_line(p)
    assert len(teu.rows()) == 1


def test_rm_running_needs_force(teu) -> None:
    teu.ok("run", "-d", "--name", "busy", IMAGE, "sleep", "60")
    p = teu("rm", "busy")
    assert p.returncode == 1 and "container is running" in one_line(p)  # docker: 1
    assert teu.inspect("busy")["State"]["Running"]
    teu.ok("rm", "-f", "busy")
    assert teu.rows() == []


def test_unknown_container_everywhere(teu) -> None:
    for verb in (["start"], ["stop"], ["kill"], ["rm"], ["logs"], ["wait"], ["pause"],
                 ["unpause"], ["inspect"], ["exec"], ["restart"], ["attach"]):
        args = [*verb, "ghost"] + (["true"] if verb == ["exec"] else [])
        p = teu(*args)
        assert p.returncode == 1, (verb, p.stderr)  # docker: 1, run/create alone say 125
        assert "ghost" in p.stderr and "Traceback" not in p.stderr


def test_missing_arguments_and_unknown_verb(teu) -> None:
    # docker: a wrong number of arguments and an unknown command are exit 1 (cobra's
    # errors), a bad flag 125 (pflag's); help goes to stdout after a blank line.
    p = teu("run")
    assert p.returncode == 1 and p.stderr.startswith('"teu run" requires at least 1 argument.')
    p = teu("frobnicate")
    assert p.returncode == 1 and "'frobnicate' is not a teu command" in p.stderr
    p = teu("rm", "--frobnicate", "x")
    assert p.returncode == 125 and p.stderr == "unknown flag: --frobnicate\nSee 'teu rm --help'.\n"
    assert teu.ok("run", "--help").startswith("\nUsage:  teu run")


def test_start_of_a_command_that_is_not_there(teu) -> None:
    teu.ok("create", "--name", "broken", IMAGE, "nonexistent-cmd")
    p = teu("start", "broken")
    assert p.returncode == 1 and "nonexistent-cmd" in p.stderr  # docker start: 1
    info = teu.inspect("broken")
    assert info["State"]["Status"] == "created" and "nonexistent-cmd" in info["State"]["Error"]
    p = teu("run", "-d", IMAGE, "nonexistent-cmd")
    assert p.returncode == 127
    assert len(teu.rows()) == 2  # docker leaves the failed run's container, `created`


def _leftovers(teu, ids: list[str], runtime: str = "runtime") -> dict:  # noqa: ANN001
    runtime_state = teu.runroot / runtime
    return {
        "mounts": mounts_under(teu.top),
        "cgroups": container_cgroups(ids),
        # Container state only: .cache holds the runtime's compiled seccomp filters.
        "runtime": sorted(e for e in os.listdir(runtime_state) if not e.startswith("."))
        if runtime_state.exists() else [],
        "dirs": sorted(os.listdir(teu.root / "containers"))
        if (teu.root / "containers").exists() else [],
    }


NOTHING_LEFT = {"mounts": [], "cgroups": [], "runtime": [], "dirs": []}


def _strays(teu) -> list[int]:  # noqa: ANN001
    """What the killed teu forked that still works on its own (a monitor still making
    or starting the container: it outlives the teu that forked it), i.e. processes of
    this teu's store that no row names as its container's monitor."""
    monitors = {r[4] for r in teu.rows()}
    return [p for p in pids_with_env(f"TEU_ROOT={teu.root}") if p not in monitors]


def _nothing_left(teu, ids: list[str], runtime: str = "runtime",  # noqa: ANN001
                  timeout: float = 60) -> None:
    """Everything is gone, at the latest when the monitors' exit commands have run."""
    try:
        wait_until(lambda: _leftovers(teu, ids, runtime) == NOTHING_LEFT and not _strays(teu),
                   timeout, "the container's files, mounts and cgroups to go")
    except AssertionError:
        assert _leftovers(teu, ids, runtime) == NOTHING_LEFT
        assert not [command_line(p) for p in _strays(teu)]
        raise


@pytest.mark.parametrize("delay", [0.02, 0.05, 0.08, 0.12, 0.2, 0.4])
def test_kill_9_of_teu_during_run(teu, delay: float) -> None:
    """SIGKILL teu at a moment of `run --rm`; afterwards `teu ps -a` (any reader) makes the
    state whole: the container is gone (it would have been removed), still running, or
    still being made by its monitor (the process teu forked, which outlives it)."""
    proc = subprocess.Popen(teu.cmd("run", "--rm", IMAGE, "sleep", "1"), env=teu.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    seen_ids = [r[0] for r in teu.rows()]
    teu.ok("ps", "-a")
    rows = teu.rows()
    # a live container stays listed; a half-made one only while its monitor lives
    assert all(r[2] == "running" or (r[2] == "creating" and os.path.exists(f"/proc/{r[4]}"))
               for r in rows), rows
    # once its process ends, the next reader removes it (--rm), with everything it had
    wait_until(lambda: not teu.ok("ps", "-aq").strip(), 60, "the container to go")
    _nothing_left(teu, seen_ids + [r[0] for r in teu.rows()])


@pytest.mark.parametrize("delay", [0.03, 0.1, 0.25])
def test_kill_9_of_teu_during_start(teu, delay: float) -> None:
    teu.ok("create", "--name", "st", IMAGE, "sleep", "30")
    proc = subprocess.Popen(teu.cmd("start", "st"), env=teu.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # at once, while the conmon the killed teu started may still be inside the
    # runtime's create: the reader waits for it (docker's start is all or nothing)
    state = teu.inspect("st")["State"]["Status"]
    assert state in ("created", "running", "exited"), state
    if state != "running":
        teu.ok("start", "st")  # a half-done start is undone: it starts again cleanly
    assert teu.inspect("st")["State"]["Running"]
    ids = [r[0] for r in teu.rows()]
    teu.ok("rm", "-f", "st")
    _nothing_left(teu, ids)


@pytest.fixture
def host_teu(tmp_path):  # noqa: ANN001, ANN201
    from tests.integration.net_helpers import host_teu

    yield from host_teu(tmp_path)


def _ids_now(teu) -> list[str]:  # noqa: ANN001
    return [r[0] for r in teu.rows()]


def test_rm_f_at_once_after_kill_9_of_a_detached_run(teu) -> None:
    """docker rm -f is final whatever the client that ran `docker run -d` went through:
    SIGKILL `teu run -d` at spread-out moments of its launch (before the row, in the
    create, inside conmon's runtime create, before the start...) and `teu rm -f` it at
    once: nothing is left (row, bundle, runtime state, cgroup, conmon) and nothing
    comes back later (a create that claims the id after the rm). Every other round a
    reader comes first: `ps -a` shows the container running or not at all, as docker's
    ps would (never a half-made one)."""
    _kill_9_rounds_then_rm_f(teu, 8)


def _kill_9_rounds_then_rm_f(teu, rounds: int, span: float = 0.32) -> None:  # noqa: ANN001
    import random

    for i in range(rounds):
        proc = subprocess.Popen(teu.cmd("run", "-d", "--name", "k9", IMAGE, "sleep", "30"),
                                env=teu.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(i, i + 1) * span / rounds)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        ids = _ids_now(teu)
        if i % 2:
            out = teu.ok("ps", "-a", "--format", "{{.Names}} {{.State}}").strip()
            assert out in ("", "k9 running"), out
        p = teu("rm", "-f", "k9")
        assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr
        assert p.returncode == 0 or "No such container" in p.stderr, p.stderr
        assert teu.rows() == []
        _nothing_left(teu, ids, timeout=15)


def test_rm_f_at_once_after_kill_9_of_a_detached_run_on_a_bridge(host_teu) -> None:
    """The same on teu's default bridge, in a test host: no attachment record, lease or
    veth is left either (host_teu checks them afterwards)."""
    _kill_9_rounds_then_rm_f(host_teu, 5, 0.5)
    assert not host_teu.records() and not host_teu.leases()
    assert not [n for n in host_teu.host.links() if n.startswith("veth")]


SLOW_CREATE = """#!{python}
# teu-runtime whose create starts late, as on a loaded machine: it notes when
import os, sys, time
if "create" in sys.argv:
    with open({log!r}, "a") as f:
        f.write("waiting %f\\n" % time.time())
    time.sleep({delay})
    with open({log!r}, "a") as f:
        f.write("create %f\\n" % time.time())
os.execv({runtime!r}, [{runtime!r}, *sys.argv[1:]])
"""


def _slow_runtime(tmp_path, delay: float = 1.0) -> tuple[str, object]:  # noqa: ANN001
    import sys

    from tests.conftest import runtime_binary

    log = tmp_path / "creates.log"
    path = tmp_path / "slowrt"
    path.write_text(SLOW_CREATE.format(python=sys.executable, log=str(log), delay=delay,
                                       runtime=runtime_binary()))
    path.chmod(0o755)
    return str(path), log


def _creates(log) -> list[tuple[str, float]]:  # noqa: ANN001
    if not log.exists():
        return []
    return [(w, float(t)) for w, t in (line.split() for line in log.read_text().splitlines())]


def _kill_9_while_create_waits(teu, log, *args: str, before_kill=None) -> None:  # noqa: ANN001
    proc = subprocess.Popen(teu.cmd(*args), env=teu.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_until(lambda: _creates(log), 30, "conmon to run the runtime's create")
    if before_kill is not None:
        before_kill()
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_rm_f_of_a_killed_detached_run_is_not_overtaken_by_its_create(teu, tmp_path) -> None:
    """docker rm -f: once it returns, no create of that container is still to come.
    `teu run -d` is killed while its conmon runs a runtime create that is slow to
    start; the rm either waits for that create or stops it, never returns before it."""
    runtime, log = _slow_runtime(tmp_path)
    _kill_9_while_create_waits(teu, log, "run", "-d", "--runtime", runtime, "--name", "late",
                               IMAGE, "sleep", "30")
    ids = _ids_now(teu)
    teu.ok("rm", "-f", "late")
    returned = time.time()
    assert teu.rows() == []
    time.sleep(1.2)  # past the moment the slow create would start
    late = [t for what, t in _creates(log) if what == "create" and t > returned]
    assert not late, f"a create ran {late[0] - returned:.2f} s after rm -f returned"
    _nothing_left(teu, ids, "slowrt", timeout=15)


def test_reader_after_a_killed_start_waits_for_its_create(host_teu, tmp_path) -> None:
    """docker start is all or nothing: `teu start` killed while conmon runs the runtime's
    create; the next reader (`ps -a`) puts the container back to `created` only once no
    create of it can still come, so the runtime holds no container of that id, the
    next start works and rm -f leaves nothing. (--network host, in a test host: the
    create does not need a namespace the killed teu held, so it would succeed late.)"""
    teu = host_teu
    runtime, log = _slow_runtime(tmp_path)
    cid = teu.ok("create", "--runtime", runtime, "--network", "host", "--name", "half", IMAGE,
                 "sleep", "30").strip()
    _kill_9_while_create_waits(teu, log, "start", "half")
    out = teu.ok("ps", "-a", "--format", "{{.Names}} {{.State}}")
    assert out.split() in (["half", "created"], ["half", "running"]), out
    wait_until(lambda: [w for w, _ in _creates(log) if w == "create"], 30, "the slow create")
    time.sleep(1)  # and for it to have done its work
    if out.split()[1] == "created":
        state = teu.runroot / "slowrt" / cid
        assert not state.exists(), "the runtime holds a container the engine says is created"
    teu.ok("start", "half")
    assert teu.inspect("half")["State"]["Running"]
    teu.ok("rm", "-f", "half")
    _nothing_left(teu, [cid], "slowrt", timeout=15)


HELD_START = """#!{python}
# teu-runtime whose start, once the container runs, holds its caller until that dies:
# a teu killed there leaves a running container on a row still being made
import os, subprocess, sys, time
argv = [{runtime!r}, *sys.argv[1:]]
if "start" not in sys.argv:
    os.execv(argv[0], argv)
parent = os.getppid()
code = subprocess.call(argv)
with open({log!r}, "a") as f:
    f.write("started %d\\n" % code)
while os.getppid() == parent:
    time.sleep(0.01)
sys.exit(code)
"""


def _health_processes(teu) -> list[int]:  # noqa: ANN001
    """The health loops and checks of this store (their command lines name its root)."""
    from tests.integration.proc_helpers import pids_mentioning

    return [p for p in pids_mentioning(str(teu.root)) if "healthcheck" in command_line(p)]


def _nice(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[16])


def _health(teu, name: str) -> str:  # noqa: ANN001
    return teu.inspect(name)["State"].get("Health", {}).get("Status", "none")


def test_a_start_adopted_from_a_killed_run_gets_its_health_checks(teu, tmp_path) -> None:
    """`teu run -d --health-cmd` killed once the container runs but before the row says
    so: the next reader adopts the container as running, and its health checks run
    (before, nothing started them until the next start: Health stayed `starting`)."""
    import sys

    from tests.conftest import runtime_binary

    log = tmp_path / "starts.log"
    runtime = tmp_path / "heldrt"
    runtime.write_text(HELD_START.format(python=sys.executable, log=str(log),
                                         runtime=runtime_binary()))
    runtime.chmod(0o755)
    proc = subprocess.Popen(teu.cmd("run", "-d", "--runtime", str(runtime), "--name", "hk",
                                    "--health-cmd", "true", "--health-interval", "200ms",
                                    IMAGE, "sleep", "30"),
                            env=teu.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: log.exists() and "started 0" in log.read_text(), 30,
               "the container to run")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert [r[2] for r in teu.rows()] == ["creating"]
    assert teu.inspect("hk")["State"]["Running"]  # a reader adopts it
    wait_until(lambda: _health(teu, "hk") == "healthy", 30, "the adopted container's checks")
    assert {_nice(p) for p in _health_processes(teu)} == {0}  # told of the start: back to 0
    ids = _ids_now(teu)
    teu.ok("rm", "-f", "hk")
    wait_until(lambda: not _health_processes(teu), 15, "the health loop to end")
    _nothing_left(teu, ids, "heldrt", timeout=15)


def test_a_health_loop_started_ahead_ends_with_a_failed_or_killed_start(teu, tmp_path) -> None:
    """The health loop and its first check start before conmon's create: while the
    create runs they are there; a create that fails, or a teu killed meanwhile, leaves
    none of them behind (no reader needed: the loop ends with its teu)."""
    runtime, log = _slow_runtime(tmp_path, 0.5)
    proc = subprocess.Popen(teu.cmd("run", "-d", "--runtime", runtime, "--name", "nohc",
                                    "--health-cmd", "true", "--health-interval", "100ms",
                                    IMAGE, "nonexistent-cmd"),
                            env=teu.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until(lambda: _creates(log), 30, "conmon to run the runtime's create")
    assert _health_processes(teu), "no health loop while the create runs"
    assert {_nice(p) for p in _health_processes(teu)} == {19}  # waiting: the lowest priority
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 127 and b"nonexistent-cmd" in err, err
    assert not _health_processes(teu)
    assert teu.inspect("nohc")["State"]["Status"] == "created"
    teu.ok("rm", "nohc")
    log.unlink()
    def loop_is_there() -> None:  # before the kill: after it, the loop ends by itself
        assert _health_processes(teu), "no health loop while the create runs"

    _kill_9_while_create_waits(teu, log, "run", "-d", "--runtime", runtime, "--name", "k9hc",
                               "--health-cmd", "true", "--health-interval", "100ms", IMAGE,
                               "sleep", "30", before_kill=loop_is_there)
    wait_until(lambda: not _health_processes(teu), 15, "the killed start's health loop to end")
    ids = _ids_now(teu)
    teu.ok("rm", "-f", "k9hc")
    _nothing_left(teu, ids, "slowrt", timeout=15)


def test_runtime_from_the_config_file(teu, tmp_path) -> None:
    import shutil

    if not shutil.which("runc"):
        pytest.skip("runc not installed")
    conf = tmp_path / "teu.conf"
    conf.write_text("# engine settings\nruntime = runc\n")
    env = {**teu.env, "TEU_CONFIG": str(conf)}
    teu.ok("run", "-d", "--name", "cf", IMAGE, "sleep", "30", env=env)
    assert teu.inspect("cf")["HostConfig"]["Runtime"] == "runc"
    assert (teu.runroot / "runc").is_dir()
    teu.ok("rm", "-f", "cf")
    conf.write_text("runtime = no-such-runtime\n")
    p = teu("run", "--rm", IMAGE, "true", env=env)
    assert p.returncode == 125 and "no-such-runtime" in p.stderr


_BEGIN_START_ON_A_DEAD_INIT = """
import subprocess, sys
from teu.engine.context import Engine
from teu.engine.lifecycle import launch

engine = Engine()
row = engine.find(sys.argv[1])
dead = subprocess.Popen(["true"])
dead.wait()
# the container's init died between start()'s own refresh and begin_start's, as a row
# that turned running under another teu and exited at once would look
with engine.db.tx() as db:
    db.update(row["id"], status="running", pid=dead.pid, pid_start=1)
row = launch.begin_start(engine, engine.reload(row))
print(row["status"], row["exit_code"])
"""


def test_begin_start_records_the_exit_of_an_init_that_died_before_it(teu) -> None:  # noqa: ANN001
    """begin_start refreshes the row under the container's lock, and the refresh
    (state.finish) takes that lock too: it hung forever on its own flock before the
    lock was re-entrant."""
    import sys

    cid = teu.ok("create", "--network", "none", IMAGE, "true").strip()
    p = subprocess.run([sys.executable, "-c", _BEGIN_START_ON_A_DEAD_INIT, cid],
                       env=teu.env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] == "starting", p.stdout
    # the row's owner (that script) is gone: the next reader undoes its start
    teu.ok("rm", "-f", cid)
    assert teu.rows() == []


_KILLED_BEFORE_GO = """
import os, sys
from teu.engine.context import Engine
from teu.engine.lifecycle import launch
from teu.engine.monitor import healthloop

def killed(loop, container_pid, started):
    # the teu starting the container is killed after the row says running, before the
    # health loop is told of the start (healthloop.Loop.go)
    os.kill(os.getpid(), 9)

healthloop.Loop.go = killed
engine = Engine()
if sys.argv[2] == "start":
    launch.start(engine, sys.argv[1])
else:  # a reader: it finds the loop lost and starts one (state.restart_health_loop)
    from teu.engine import state
    state.refresh(engine, engine.find(sys.argv[1]))
"""


def test_a_start_killed_before_its_health_loop_is_told_gets_a_new_loop(teu) -> None:  # noqa: ANN001
    """`teu start` killed between the row's running record and the health loop's go line:
    that loop reads EOF and ends; the row says running with a loop that is gone, and the
    next reader starts a new one (before, Health stayed `starting` until the next start).
    A reader killed at the same point of its own restart of the loop leaves none either
    (that loop, not its child, ends on EOF too), and the reader after it starts one."""
    import sys

    cid = teu.ok("create", "--name", "gap", "--health-cmd", "true", "--health-interval",
                 "200ms", IMAGE, "sleep", "30").strip()
    for step in ("start", "reader"):
        p = subprocess.run([sys.executable, "-c", _KILLED_BEFORE_GO, cid, step], env=teu.env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == -signal.SIGKILL, p.stderr
        assert [r[2] for r in teu.rows()] == ["running"]
        wait_until(lambda: not _health_processes(teu), 15, f"the loop untold by {step} to end")
    assert _health(teu, "gap") in ("starting", "healthy")  # the reader (inspect)
    wait_until(lambda: _health(teu, "gap") == "healthy", 30, "the new loop's checks")
    assert len([p for p in _health_processes(teu)
                if command_line(p).startswith("/bin/sh -c ")]) == 1
    ids = _ids_now(teu)
    teu.ok("rm", "-f", "gap")
    wait_until(lambda: not _health_processes(teu), 15, "the health loop to end")
    _nothing_left(teu, ids, "runtime", timeout=15)
