"""Behaviours the OCI runtime-tools validation suite checks (see docs/conformance.md):
mount namespaces joined by path or left out, the state hooks see, failing poststart and
poststop hooks."""

import json
import os
import subprocess
import time

import pytest


def _hook(tmp_path, name, log):
    """A hook script that appends '<name> <state json>' to `log`."""
    path = tmp_path / f"{name}.sh"
    path.write_text(f"#!/bin/sh\nread state\necho \"{name} $state\" >> {log}\n")
    path.chmod(0o755)
    return {"path": str(path)}


def test_prestart_sees_created_and_create_runtime_sees_creating(runtime, make_bundle,
                                                                tmp_path):
    log = tmp_path / "hooks.log"
    b = make_bundle(["true"])
    b.config["hooks"] = {"prestart": [_hook(tmp_path, "prestart", log)],
                         "createRuntime": [_hook(tmp_path, "createRuntime", log)]}
    b.save()
    runtime("run", "-b", str(b.path), runtime.new_id(), check=True)
    states = {line.split()[0]: json.loads(line.split(" ", 1)[1])
              for line in log.read_text().splitlines()}
    assert states["prestart"]["status"] == "created"
    assert states["createRuntime"]["status"] == "creating"
    assert states["prestart"]["pid"] == states["createRuntime"]["pid"] > 0


def test_a_failing_poststart_or_poststop_hook_does_not_stop_the_others(runtime, make_bundle,
                                                                       tmp_path):
    log = tmp_path / "hooks.log"
    b = make_bundle(["true"])
    b.config["hooks"] = {
        "poststart": [{"path": "/bin/false"}, _hook(tmp_path, "poststart", log)],
        "poststop": [{"path": "/bin/false"}, _hook(tmp_path, "poststop", log)],
    }
    b.save()
    cid = runtime.new_id()
    runtime("create", "-b", str(b.path), cid, check=True)
    p = runtime("start", cid, check=True)
    assert "warning: hook poststart[0]" in p.stderr
    deadline = time.monotonic() + 10
    while runtime.state(cid)["status"] != "stopped" and time.monotonic() < deadline:
        time.sleep(0.02)
    p = runtime("delete", cid, check=True)
    assert "warning: hook poststop[0]" in p.stderr
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["poststart",
                                                                          "poststop"]


def test_without_a_mount_namespace_the_process_is_chrooted(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "echo inside > /marker; sleep 300"])
    b.config["linux"]["namespaces"] = [ns for ns in b.config["linux"]["namespaces"]
                                       if ns["type"] != "mount"]
    b.config["root"]["readonly"] = False
    b.save()
    cid = runtime.new_id()
    p = runtime("run", "-d", "-b", str(b.path), cid, check=True)
    assert "not applied" in p.stderr  # mounts, devices, masked paths: said, not done
    pid = runtime.state(cid)["pid"]
    assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")
    assert os.path.realpath(f"/proc/{pid}/root") == str(b.rootfs)
    deadline = time.monotonic() + 5
    while not (b.rootfs / "marker").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (b.rootfs / "marker").read_text() == "inside\n"
    # exec follows the init into its root.
    assert runtime("exec", cid, "cat", "/marker", check=True).stdout == "inside\n"
    assert _mounts_under(b.path) == []  # nothing was mounted in the runtime's namespace


def test_joining_a_mount_namespace_by_path_builds_the_rootfs_there(runtime, make_bundle):
    holder = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sleep", "300"])
    try:
        ns = f"/proc/{holder.pid}/ns/mnt"
        deadline = time.monotonic() + 5
        while os.readlink(ns) == os.readlink("/proc/self/ns/mnt"):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        b = make_bundle(["sh", "-c", "test -x /bin/busybox && readlink /proc/self/ns/mnt"])
        for n in b.config["linux"]["namespaces"]:
            if n["type"] == "mount":
                n["path"] = ns
        b.save()
        p = runtime("run", "-b", str(b.path), runtime.new_id(), check=True)
        assert p.stdout.strip() == os.readlink(ns)  # in that namespace, on its rootfs
        assert _mounts_under(b.path) == []  # the mounts went into the joined namespace
    finally:
        holder.kill()
        holder.wait()


def _mounts_under(path):
    """Mount points at or below `path` in this process's mount namespace."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return [m for m in points if m == str(path) or m.startswith(f"{path}/")]


def test_an_apparmor_profile_on_a_host_without_apparmor_is_refused(runtime, make_bundle):
    from teu.runtime import apparmor

    if apparmor.enabled():
        pytest.skip("this host has AppArmor")
    b = make_bundle(["true"])
    b.config["process"]["apparmorProfile"] = "acme_secure_profile"
    b.save()
    cid = runtime.new_id()
    p = runtime("create", "-b", str(b.path), cid)
    assert p.returncode == 1
    assert p.stderr.strip() == ("teu-runtime: process.apparmorProfile 'acme_secure_profile': "
                                "AppArmor is not enabled on this host")
    assert not (runtime.root / cid).exists()  # nothing left behind
    # exec --apparmor into a running container is refused the same way.
    b.config["process"]["args"] = ["sleep", "300"]
    del b.config["process"]["apparmorProfile"]
    b.save()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    p = runtime("exec", "--apparmor", "acme", cid, "true")
    # runc's exec exits 255 when the process cannot be started
    assert p.returncode == 255 and "AppArmor is not enabled" in p.stderr
