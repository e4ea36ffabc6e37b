"""teu-runtime's verbs on real containers: create, start, state, kill, delete, run, list, ps."""

import json
import os
import signal
import time


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_run_passes_output_and_exit_code(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "echo hello from $(hostname); exit 3"])
    p = runtime("run", "--bundle", str(b.path), runtime.new_id())
    assert p.stdout == "hello from teu\n"
    assert p.returncode == 3


def test_run_deletes_the_container_afterwards(runtime, make_bundle):
    b = make_bundle(["true"])
    cid = runtime.new_id()
    assert runtime("run", "-b", str(b.path), cid).returncode == 0
    assert not (runtime.root / cid).exists()
    assert runtime("state", cid).returncode == 1


def test_signal_death_gives_128_plus_signal(runtime, make_bundle):
    # Without a pid namespace: as pid 1 the shell would be immune to its own SIGKILL.
    b = make_bundle(["sh", "-c", "kill -9 $$"])
    b.config["linux"]["namespaces"] = [n for n in b.config["linux"]["namespaces"]
                                       if n["type"] != "pid"]
    b.save()
    assert runtime("run", "-b", str(b.path), runtime.new_id()).returncode == 128 + 9


def test_run_reaps_orphans_of_a_container_in_its_pid_namespace(runtime, make_bundle):
    # runc run is a child subreaper: without a pid namespace of the container's own, a
    # process orphaned inside it is reparented to the runtime (its init's parent), not
    # to the host's init. (With one, orphans go to the container's init.)
    b = make_bundle(["sh", "-c", 'p=$(sh -c "sleep 5 >/dev/null 2>&1 & echo \\$!"); '
                                 'sleep 0.3; echo $PPID; grep PPid /proc/$p/status'])
    b.config["linux"]["namespaces"] = [n for n in b.config["linux"]["namespaces"]
                                       if n["type"] != "pid"]
    b.save()
    p = runtime("run", "-b", str(b.path), runtime.new_id())
    assert p.returncode == 0, p.stderr
    runtime_pid, orphan_parent = p.stdout.split("\n")[:2]
    assert orphan_parent.split() == ["PPid:", runtime_pid]


def test_create_start_state_kill_delete(runtime, make_bundle, tmp_path):
    b = make_bundle(["sleep", "300"])
    cid = runtime.new_id()
    pid_file = tmp_path / "pid"
    runtime("create", "--bundle", str(b.path), "--pid-file", str(pid_file), cid, check=True)
    state = runtime.state(cid)
    assert state["status"] == "created"
    assert state["id"] == cid
    assert state["bundle"] == str(b.path)
    assert state["ociVersion"].startswith("1.")
    assert int(pid_file.read_text()) == state["pid"] > 0
    # The init waits in created: the user's program has not run yet.
    with open(f"/proc/{state['pid']}/cmdline", "rb") as f:
        assert b"sleep" not in f.read()
    runtime("start", cid, check=True)
    assert wait_for(lambda: open(f"/proc/{state['pid']}/cmdline", "rb").read()
                    .startswith(b"sleep"))
    assert runtime.state(cid)["status"] == "running"
    assert runtime("start", cid).returncode == 1  # not created any more
    p = runtime("delete", cid)
    assert p.returncode == 1 and "not stopped" in p.stderr
    runtime("kill", cid, "KILL", check=True)
    assert wait_for(lambda: runtime.state(cid)["status"] == "stopped")
    runtime("delete", cid, check=True)
    assert runtime("state", cid).returncode == 1


def test_delete_force_kills_a_running_container(runtime, make_bundle):
    b = make_bundle(["sleep", "300"])
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    pid = runtime.state(cid)["pid"]
    runtime("delete", "--force", cid, check=True)
    assert wait_for(lambda: not os.path.exists(f"/proc/{pid}") or
                    open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z")
    assert not (runtime.root / cid).exists()


def test_kill_by_name_and_number(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.05; done"])
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    time.sleep(0.2)
    runtime("kill", cid, "SIGTERM", check=True)
    assert wait_for(lambda: runtime.state(cid)["status"] == "stopped")
    runtime("delete", cid, check=True)
    cid2 = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid2, check=True)
    runtime("kill", cid2, str(int(signal.SIGKILL)), check=True)
    assert wait_for(lambda: runtime.state(cid2)["status"] == "stopped")


def test_kill_all_reaches_every_process(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "sleep 300 & sleep 300 & wait"])
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    assert wait_for(lambda: len(json.loads(runtime("ps", "--format", "json", cid).stdout)) >= 3)
    runtime("kill", "--all", cid, "KILL", check=True)
    assert wait_for(lambda: runtime.state(cid)["status"] == "stopped")


def test_list_and_ps(runtime, make_bundle):
    b = make_bundle(["sleep", "300"])
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    listed = json.loads(runtime("list", "--format", "json", check=True).stdout)
    assert [s["id"] for s in listed] == [cid]
    assert listed[0]["status"] == "running"
    table = runtime("list", check=True).stdout
    assert table.splitlines()[0].split()[:3] == ["ID", "PID", "STATUS"]
    assert cid in table
    assert runtime("list", "-q", check=True).stdout.split() == [cid]
    pids = json.loads(runtime("ps", "--format", "json", cid, check=True).stdout)
    assert runtime.state(cid)["pid"] in pids
    assert "sleep" in runtime("ps", cid, check=True).stdout


def test_pause_and_resume(runtime, make_bundle):
    b = make_bundle(["sleep", "300"])
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    pid = runtime.state(cid)["pid"]
    runtime("pause", cid, check=True)
    assert runtime.state(cid)["status"] == "paused"
    assert wait_for(lambda: open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "D"
                    or "frozen" in open(f"/proc/{pid}/status").read().lower()
                    or runtime.state(cid)["status"] == "paused")
    runtime("resume", cid, check=True)
    assert runtime.state(cid)["status"] == "running"
    assert runtime("resume", cid).returncode == 1


def test_spec_writes_a_valid_default_config(runtime, tmp_path):
    runtime("spec", "--bundle", str(tmp_path), check=True)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["process"]["args"] == ["sh"]
    assert runtime("spec", "--bundle", str(tmp_path)).returncode == 1  # exists


def test_features_and_version(runtime):
    features = json.loads(runtime("features", check=True).stdout)
    assert "mount" in features["linux"]["namespaces"]
    assert features["linux"]["seccomp"]["enabled"] is True
    assert "CAP_SYS_ADMIN" in features["linux"]["capabilities"]
    assert "teu-runtime version" in runtime("--version", check=True).stdout


def test_log_file_gets_errors_in_json(runtime, tmp_path):
    log = tmp_path / "runtime.log"
    p = runtime("--log", str(log), "--log-format", "json", "state", "nosuch")
    assert p.returncode == 1
    entry = json.loads(log.read_text().splitlines()[-1])
    assert entry["level"] == "error" and "nosuch" in entry["msg"]
