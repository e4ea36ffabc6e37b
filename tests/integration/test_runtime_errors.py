"""Bad input gets a one-line error naming what is wrong, and leaves nothing behind."""

import json
import os
import signal
import subprocess
import time

import pytest

CGROUP_ROOT = "/sys/fs/cgroup"


def leftovers(runtime, cid):
    """What a failed create may have left: its state directory, any of its cgroups."""
    found = []
    if (runtime.root / cid).exists():
        found.append(str(runtime.root / cid))
    for controller in os.listdir(CGROUP_ROOT):
        path = os.path.join(CGROUP_ROOT, controller, "teu", cid)
        if os.path.exists(path):
            found.append(path)
    return found


def assert_one_line_error(p, *words):
    assert p.returncode == 1, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_malformed_config(runtime, make_bundle):
    b = make_bundle()
    (b.path / "config.json").write_text("{ nope")
    cid = runtime.new_id()
    assert_one_line_error(runtime("create", "-b", str(b.path), cid), "config.json",
                          "invalid JSON")
    assert leftovers(runtime, cid) == []


@pytest.mark.parametrize("mutate, words", [
    (lambda c: c.update(ociVersion="9.9.9"), ["ociVersion"]),
    (lambda c: c["process"].update(args=[]), ["process.args"]),
    (lambda c: c["process"].update(cwd="rel/dir"), ["process.cwd", "absolute"]),
    (lambda c: c["linux"]["namespaces"].append({"type": "bogus"}), ["linux.namespaces[5]"]),
    (lambda c: c["mounts"].append({"destination": "/x", "type": "tmpfs",
                                   "options": ["idmap"]}), ["idmap"]),
])
def test_invalid_config_fields(runtime, make_bundle, mutate, words):
    b = make_bundle()
    mutate(b.config)
    b.save()
    cid = runtime.new_id()
    assert_one_line_error(runtime("create", "-b", str(b.path), cid), *words)
    assert leftovers(runtime, cid) == []


def test_missing_rootfs_and_bundle(runtime, make_bundle, tmp_path):
    b = make_bundle()
    b.config["root"]["path"] = "nowhere"
    b.save()
    cid = runtime.new_id()
    assert_one_line_error(runtime("create", "-b", str(b.path), cid), "rootfs", "nowhere")
    assert leftovers(runtime, cid) == []
    assert_one_line_error(runtime("create", "-b", str(tmp_path / "nope"), cid), "nope")
    assert leftovers(runtime, cid) == []


def test_duplicate_and_invalid_ids(runtime, make_bundle):
    b = make_bundle(["sleep", "300"])
    cid = runtime.new_id()
    runtime("create", "-b", str(b.path), cid, check=True)
    assert_one_line_error(runtime("create", "-b", str(b.path), cid), "already exists")
    assert runtime.state(cid)["status"] == "created"  # the first one is untouched
    assert_one_line_error(runtime("create", "-b", str(b.path), "../evil"), "invalid container id")


def test_unknown_container_and_signal(runtime, make_bundle):
    for verb in ("state", "start", "kill", "pause", "resume"):
        assert_one_line_error(runtime(verb, "ghost"), "ghost")
    assert runtime("delete", "--force", "ghost").returncode == 0  # runc: force is idempotent
    assert_one_line_error(runtime("delete", "ghost"), "ghost")
    b = make_bundle(["sleep", "300"])
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    assert_one_line_error(runtime("kill", cid, "SIGNOPE"), "unknown signal")
    assert runtime.state(cid)["status"] == "running"


def test_bad_flags(runtime):
    assert_one_line_error(runtime("create", "--no-such-flag", "x"), "--no-such-flag")
    assert_one_line_error(runtime("frobnicate"), "unknown command")
    assert_one_line_error(runtime("--log-format", "xml", "list"), "--log-format")


def test_program_not_found_is_127_not_executable_is_126(runtime, make_bundle):
    b = make_bundle(["no-such-program"])
    p = runtime("run", "-b", str(b.path), runtime.new_id())
    assert p.returncode == 127 and "executable file not found" in p.stderr
    b2 = make_bundle(["/etc/passwd"])
    p = runtime("run", "-b", str(b2.path), runtime.new_id())
    assert p.returncode == 126 and "permission denied" in p.stderr
    b3 = make_bundle(["/nope/prog"])
    assert runtime("run", "-b", str(b3.path), runtime.new_id()).returncode == 127


@pytest.mark.parametrize("where", ["init", "limits", "limits-userns", "limits-stage1",
                                   "limits-userns-binds", "bind-userns"])
def test_failed_create_leaves_nothing(runtime, make_bundle, tmp_path, where):
    """A failure in the init (a sysctl it cannot set; a bind source that is not there),
    or in the cgroup's limits, which the runtime sets while an init it cloned itself
    already loads (into a new user namespace too, whose id maps are written first; with
    bind mounts, whose sources the runtime opens in the init's mount namespace first):
    the init is killed, the cgroup and the state removed; or (a time namespace) before
    stage 1 (and its bind sources' helper) is told what to build."""
    b = make_bundle()
    if where == "limits-stage1":
        b.config["linux"]["namespaces"].append({"type": "time"})
    if "userns" in where:
        from test_runtime_security_limits import _in_user_namespace

        _in_user_namespace(b)
    if "binds" in where or where == "bind-userns":
        (tmp_path / "src").mkdir()
        b.config["mounts"] += [
            {"destination": "/mnt", "type": "bind", "source": str(tmp_path / "src"),
             "options": ["rbind"]},
            {"destination": "/tmp", "type": "bind", "source": str(tmp_path / "nosuch"),
             "options": ["rbind"]}][:1 if "binds" in where else 2]
    if where == "init":
        b.config["linux"]["sysctl"] = {"kernel.no_such_knob": "1"}
        words = ["no_such_knob"]
    elif where == "bind-userns":
        words = ["nosuch"]
    else:
        b.config["linux"]["resources"] = {"cpu": {"cpus": str(os.cpu_count() + 7)}}
        words = ["cpuset.cpus"]
    b.save()
    cid = runtime.new_id()
    assert_one_line_error(runtime("create", "-b", str(b.path), cid), *words)
    assert leftovers(runtime, cid) == []
    assert processes_of(cid) == []  # stage 1, the init, a helper: all reaped
    assert runtime("run", "-b", str(make_bundle().path), cid).returncode == 0  # id free


def processes_of(cid: str) -> list[str]:
    """Live processes whose command line names the container (the runtime's forks)."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if cid.encode() in f.read().split(b"\0"):
                    found.append(pid)
        except (NotADirectoryError, FileNotFoundError, ProcessLookupError):
            continue
    return found


def last_state(path):
    """state.json holds one JSON state a line; the last whole one counts."""
    return json.loads(path.read_text().strip().splitlines()[-1])


def test_kill_9_mid_create_is_cleaned_by_delete_force(runtime, make_bundle, tmp_path):
    hook = tmp_path / "slow-hook"
    hook.write_text("#!/bin/sh\nsleep 30\n")
    hook.chmod(0o755)
    b = make_bundle(["sleep", "300"])
    b.config["hooks"] = {"createRuntime": [{"path": str(hook)}]}
    b.save()
    cid = runtime.new_id()
    proc = subprocess.Popen(runtime.cmd("create", "-b", str(b.path), cid),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state_file = runtime.root / cid / "state.json"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if state_file.exists() and last_state(state_file).get("pid"):
            break
        time.sleep(0.02)
    init_pid = last_state(state_file)["pid"]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert runtime.state(cid)["status"] == "creating"
    runtime("delete", "--force", cid, check=True)
    assert leftovers(runtime, cid) == []
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{init_pid}") and time.monotonic() < deadline:
        try:
            if open(f"/proc/{init_pid}/stat").read().split(") ")[1][0] == "Z":
                break
        except OSError:
            break
        time.sleep(0.02)
    # The init is gone (or a zombie waiting for its reaper).
    assert not os.path.exists(f"/proc/{init_pid}") or \
        open(f"/proc/{init_pid}/stat").read().split(") ")[1][0] == "Z"
    subprocess.run(["pkill", "-9", "-f", str(hook)], check=False)


def test_delete_force_racing_create_leaves_nothing(runtime, make_bundle):
    # A `teu rm -f` while conmon's create of the same id is still under way (its `teu
    # run -d` was killed): `delete --force` and create exclude each other, so whichever
    # comes second sees a whole container or none, and nothing is left after both.
    import random
    import tempfile

    b = make_bundle(["sleep", "300"])
    started = time.monotonic()
    runtime("create", "-b", str(b.path), "warm", check=True)
    took = time.monotonic() - started
    runtime("delete", "--force", "warm", check=True)
    rng = random.Random(8)
    for _ in range(12):
        cid = runtime.new_id()
        with tempfile.TemporaryFile("w+") as stderr:  # not a pipe: the init inherits it
            create = subprocess.Popen(runtime.cmd("create", "-b", str(b.path), cid),
                                      stdout=subprocess.DEVNULL, stderr=stderr)
            time.sleep(rng.uniform(0, took * 1.2))
            deleted = runtime("delete", "--force", cid)
            assert deleted.returncode == 0, deleted.stderr
            create.wait(timeout=30)
            stderr.seek(0)
            err = stderr.read()
        if (runtime.root / cid).exists():
            # delete came before create had claimed the id: create made a whole container
            assert create.returncode == 0, err
            state = runtime.state(cid)
            assert state["status"] == "created", state
            runtime("delete", "--force", cid, check=True)
        elif create.returncode != 0:
            assert len(err.strip().splitlines()) == 1, err
        assert leftovers(runtime, cid) == [], err
