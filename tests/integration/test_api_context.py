"""teu.api's calls run where the caller is at the call, not where it was at its first
call (the fork server it spawned then): a caller that setns()es into a test host after
a first call gets its next container attached there; one that unshares a namespace,
moves to another cgroup or lowers a limit gets a worker that sees the change; a thread
that enters another namespace gets workers there while the main thread keeps its own.
Each caller is a subprocess (its namespaces change): nothing here enters a namespace in
the test process, and networking happens only inside test hosts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import TestHost, host_teu

pytestmark = pytest.mark.root

SETNS_CALLER = textwrap.dedent("""
    import json, os, sys
    from teu.api import Client
    from teu.runtime import linux

    root, runroot, image, other = sys.argv[1:5]
    client = Client(root, runroot)
    # the first call spawns the fork server here, in the first test host
    first = client.containers.run(image, "true", remove=True, network="bridge")
    fd = os.open(other, os.O_RDONLY)
    linux.syscalls().setns(fd, linux.CLONE_NEWNET)
    os.close(fd)
    c = client.containers.run(image, "httpd -f -p 80 -h /etc", detach=True,
                              network="bridge")
    c.reload()
    print(json.dumps({"ip": c.attrs["NetworkSettings"]["IPAddress"], "id": c.short_id}),
          flush=True)
    sys.stdin.readline()  # the test looks at both hosts meanwhile
    c.remove(force=True)
""")

FETCH = textwrap.dedent("""
    import sys, time, urllib.request
    for _ in range(50):  # until its httpd listens
        try:
            print(urllib.request.urlopen(f"http://{sys.argv[1]}/hostname", timeout=5)
                  .read().decode())
            break
        except OSError:
            time.sleep(0.1)
""")


@pytest.fixture
def hteu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def test_a_caller_that_enters_another_test_host_gets_its_container_there(hteu) -> None:  # noqa: ANN001
    other = TestHost()
    try:
        proc = subprocess.Popen(
            [*hteu.host.prefix(), sys.executable, "-c", SETNS_CALLER, str(hteu.root),
             str(hteu.runroot), IMAGE, other.path], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TEU_NETWORK": "bridge"})
        try:
            line = proc.stdout.readline()
            assert line, proc.communicate(timeout=30)[1]
            ran = json.loads(line)
            # its veth is in the host it entered, none in the one it left
            assert [n for n in other.links() if n.startswith("veth")], other.links()
            assert not [n for n in hteu.host.links() if n.startswith("veth")]
            # and it answers there: its hostname (docker's: the short ID) over its address
            got = other.run(sys.executable, "-c", FETCH, ran["ip"], check=False)
            assert got.stdout.strip() == ran["id"], got.stderr
        finally:
            _, err = proc.communicate("\n", timeout=60)
        assert proc.returncode == 0, err
    finally:
        other.remove()


CONTEXT_CALLER = textwrap.dedent("""
    import functools, json, os, resource, sys, threading
    from teu.api.child import in_child
    from teu.runtime import linux

    cgroup = sys.argv[1]
    def seen():
        return in_child(functools.partial(view))
    seen_by = {}
    seen_by["first"] = seen()
    linux.syscalls().unshare(linux.CLONE_NEWNET | linux.CLONE_NEWUTS)
    seen_by["unshared"] = seen()
    with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    resource.setrlimit(resource.RLIMIT_NOFILE, (512, 512))
    seen_by["moved"] = seen()

    def in_thread():
        linux.syscalls().unshare(linux.CLONE_NEWNET)
        seen_by["thread"] = seen()
        seen_by["thread-caller"] = os.readlink("/proc/thread-self/ns/net")
    t = threading.Thread(target=in_thread)
    t.start()
    t.join()
    seen_by["main-again"] = seen()
    seen_by["caller"] = view()
    print(json.dumps(seen_by))
""")

VIEW = textwrap.dedent("""
    def view():
        import os, resource
        with open("/proc/self/cgroup") as f:
            cgroup = [line for line in f.read().splitlines() if line.startswith("0::")]
        return {"net": os.readlink("/proc/self/ns/net"),
                "uts": os.readlink("/proc/self/ns/uts"), "cgroup": cgroup,
                "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE))}
""")


def cgroup2_mount() -> str | None:
    with open("/proc/self/mounts") as f:
        for line in f:
            _, where, fstype, *_ = line.split()
            if fstype == "cgroup2":
                return where
    return None


def test_a_worker_sees_the_callers_namespaces_cgroup_and_limits_at_the_call(
        tmp_path) -> None:  # noqa: ANN001
    top = cgroup2_mount()
    if top is None:
        pytest.skip("no cgroup2 mount")
    cgroup = os.path.join(top, f"teutest-{uuid.uuid4().hex[:8]}")
    os.mkdir(cgroup)
    try:
        # view() must be importable by the worker to be pickled by reference
        (tmp_path / "ctxview.py").write_text(VIEW)
        code = "from ctxview import view\n" + CONTEXT_CALLER
        env = {**os.environ, "PYTHONPATH": f"{tmp_path}:{os.environ.get('PYTHONPATH', '')}"}
        p = subprocess.run([sys.executable, "-c", code, cgroup], capture_output=True,
                           text=True, timeout=60, env=env)
        assert p.returncode == 0, p.stderr
        seen = json.loads(p.stdout)
    finally:
        for _ in range(100):  # the caller's servers end when it has exited
            try:
                os.rmdir(cgroup)
                break
            except OSError:
                time.sleep(0.05)
    first, unshared, moved = seen["first"], seen["unshared"], seen["moved"]
    assert unshared["net"] != first["net"] and unshared["uts"] != first["uts"]
    assert moved["net"] == unshared["net"]
    assert moved["cgroup"] == [f"0::/{os.path.basename(cgroup)}"] != first["cgroup"]
    assert moved["nofile"] == [512, 512] != first["nofile"]
    # a thread's own namespace: its workers there, the main thread's stay in its own
    assert seen["thread"]["net"] == seen["thread-caller"] != moved["net"]
    assert seen["main-again"] == seen["caller"] == moved
