"""Pods (`teu pod ...`, `run --pod`, client.pods) inside a test host: one network, IPC and
UTS namespace held by the infra (catatonit), a port published by the pod answered by a
member, the pod's hostname, podman's statuses, stop/start, pause/unpause, restart, rm
refusals and rm -f taking the members with it; pod limits and `--pod new:`."""

from __future__ import annotations

import json

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu
from tests.integration.net_helpers import host_teu, wait_for

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def _ns(teu, ctr: str) -> list[str]:  # noqa: ANN001
    return teu.ok("exec", ctr, "sh", "-c", "ls -l /proc/1/ns | grep -oE '(net|ipc|uts):.*'"
                  ).split()


def test_pod_lifecycle(teu) -> None:  # noqa: ANN001
    pid = teu.ok("pod", "create", "--name", "web", "-p", "127.0.0.1:8081:80",
                 "--label", "tier=front").strip()
    assert len(pid) == 64
    assert "Created" in teu.ok("pod", "ls")
    teu.ok("container", "prune", "-f")  # the infra is not pruned from under its pod
    assert len(teu.rows()) == 1
    teu.ok("run", "-d", "--pod", "web", "--name", "srv", IMAGE, "sh", "-c",
           "echo pod-page > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
    teu.ok("run", "-d", "--pod", "web", "--name", "side", IMAGE, "sleep", "300")
    # One network, IPC and UTS namespace: the sidecar reaches srv on localhost.
    assert _ns(teu, "srv") == _ns(teu, "side")
    assert teu.ok("exec", "side", "hostname") == "web\n"
    assert wait_for(lambda: teu("exec", "side", "wget", "-qO-", "http://127.0.0.1/"
                                ).stdout == "pod-page\n")
    # The pod's published port answers on the test host.
    assert wait_for(lambda: teu.host.run("curl", "-sf", "-m", "3", "http://127.0.0.1:8081/",
                                         check=False).stdout == "pod-page\n")
    info = json.loads(teu.ok("pod", "inspect", "web"))[0]
    assert info["State"] == "Running" and info["NumContainers"] == 3
    assert info["SharedNamespaces"] == ["ipc", "net", "uts"]
    assert info["Labels"] == {"tier": "front"}
    assert info["InfraConfig"]["PortBindings"]["80/tcp"][0]["HostPort"] == "8081"
    infra = info["InfraContainerID"]
    assert teu.inspect(infra)["Config"]["Image"].startswith("localhost/teu-pause:")
    names = teu.ok("ps", "--filter", "pod=web", "--format", "{{.Names}}").split()
    assert sorted(names) == sorted(["srv", "side", f"{pid[:12]}-infra"])
    assert teu.ok("ps", "-a", "--filter", "pod=nope", "-q") == ""
    rows = teu.ok("pod", "ps", "--format", "{{.Name}} {{.Status}} {{.NumberOfContainers}}")
    assert rows == "web Running 3\n"
    # A member cannot bring its own network; the infra cannot be removed alone.
    bad = teu("run", "-d", "--pod", "web", "-p", "9000:80", IMAGE, "true")
    assert bad.returncode == 125 and "--publish" in bad.stderr
    bad = teu("rm", "-f", infra)
    assert bad.returncode == 1 and "infra container of pod" in bad.stderr
    teu.ok("stop", "-t", "1", "side")
    assert teu.ok("pod", "ls", "--format", "{{.Status}}") == "Degraded\n"
    teu.ok("pod", "stop", "-t", "1", "web")
    assert teu.ok("pod", "ls", "--format", "{{.Status}}") == "Exited\n"
    teu.ok("pod", "start", "web")
    assert teu.ok("pod", "ls", "--format", "{{.Status}}") == "Running\n"
    assert wait_for(lambda: teu.host.run("curl", "-sf", "-m", "3", "http://127.0.0.1:8081/",
                                         check=False).stdout == "pod-page\n")
    # pause/unpause freeze and thaw every container; restart stops and starts them.
    assert teu.ok("pod", "pause", "web").strip() == pid
    assert teu.ok("pod", "ls", "--format", "{{.Status}}") == "Paused\n"
    assert teu("pod", "pause", "web").returncode == 1  # nothing left running
    teu.ok("pod", "unpause", "web")
    assert teu.ok("pod", "ls", "--format", "{{.Status}}") == "Running\n"
    before = teu.inspect("srv")["State"]["Pid"]
    teu.ok("pod", "restart", "-t", "1", "web")
    assert teu.inspect("srv")["State"]["Pid"] != before
    assert wait_for(lambda: teu.host.run("curl", "-sf", "-m", "3", "http://127.0.0.1:8081/",
                                         check=False).stdout == "pod-page\n")
    bad = teu("pod", "rm", "web")
    assert bad.returncode == 1 and "not ready to be removed" in bad.stderr
    assert teu.ok("pod", "rm", "-f", "web").strip() == pid
    assert teu.rows() == [] and teu.ok("pod", "ls", "-q") == ""
    bad = teu("pod", "inspect", "web")
    assert bad.returncode == 1 and "no such pod" in bad.stderr
    assert teu("pod", "create", "--name", "x y").returncode == 125


@pytest.fixture
def plain(tmp_path):  # noqa: ANN001, ANN201 - network none, outside a test host
    yield from private_teu(tmp_path)


def test_pods_api(plain) -> None:  # noqa: ANN001
    import teu as teu_api

    client = teu_api.Client(str(plain.root), str(plain.runroot))
    pod = client.pods.create("api-pod", labels={"a": "1"}, mem_limit="256m", cpus=1.5)
    assert pod.attrs["MemoryLimit"] == 256 << 20
    assert pod.attrs["InfraConfig"]["cpu_quota"] == 150_000
    assert pod.status == "Created" and client.pods.exists("api-pod")
    c1 = client.containers.run(IMAGE, ["sh", "-c", "echo hi > /tmp/i; httpd -f -p 8080 -h /tmp"],
                               detach=True, pod="api-pod", name="a1")
    # --network none: the pod's loopback is up, the members meet on it.
    out = client.containers.run(IMAGE, "wget -qO- http://127.0.0.1:8080/i", pod="api-pod",
                                remove=True)
    assert out == b"hi\n"
    pod.reload()
    assert pod.status == "Running" and [c.name for c in pod.containers][1:] == ["a1"]
    assert [p.name for p in client.pods.list(filters={"label": "a=1"})] == ["api-pod"]
    pod.pause()
    assert pod.status == "Paused"
    pod.unpause()
    pod.restart(timeout=1)
    assert pod.status == "Running"
    pod.stop(timeout=1)
    c1.reload()
    assert c1.status == "exited" and pod.status == "Exited"
    pod.remove(force=True)
    assert not client.pods.exists("api-pod") and client.containers.list(all=True) == []


def _pod_cgroups(pod_id: str) -> list[str]:
    import glob

    return glob.glob(f"/sys/fs/cgroup/*/teu/pod-{pod_id}") + \
        glob.glob(f"/sys/fs/cgroup/teu/pod-{pod_id}")


def test_pod_limits_and_new_pod(plain, tmp_path) -> None:  # noqa: ANN001
    """podman's `pod create --cpus --memory`: the pod's own cgroup holds the limits and
    its containers run below it (a member without limits of its own is OOM-killed at the
    pod's); kube play gives a pod the sum of its containers' limits; `run --pod
    new:NAME` makes the pod, with the container's ports and hostname."""
    from tests.integration.cgroup_files import cpu_quota, memory_limit

    pod = plain.ok("pod", "create", "--name", "lim", "--cpus", "0.5", "--memory", "64m").strip()
    plain.ok("run", "-d", "--pod", "lim", "--name", "hog", IMAGE, "sleep", "300")
    path = f"/teu/pod-{pod}"
    assert memory_limit(path) == 64 << 20 and cpu_quota(path) == 50_000
    pid = plain.inspect("hog")["State"]["Pid"]
    with open(f"/proc/{pid}/cgroup") as f:
        assert f"{path}/{plain.inspect('hog')['Id']}" in f.read()
    info = json.loads(plain.ok("pod", "inspect", "lim"))[0]
    assert info["CgroupPath"] == path and info["MemoryLimit"] == 64 << 20
    assert (info["InfraConfig"]["cpu_period"], info["InfraConfig"]["cpu_quota"]) == \
        (100_000, 50_000)
    hog = plain("exec", "hog", "dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1M", "count=100")
    assert hog.returncode == 137, hog.stderr  # 100 MB into the pod's shared /dev/shm
    plain.ok("pod", "rm", "-f", "lim")
    assert _pod_cgroups(pod) == []
    bad = plain("pod", "create", "--memory-swap", "1g")
    assert bad.returncode == 125 and "--memory-swap needs --memory" in bad.stderr
    # kube play: the pod's cgroup is the sum of its containers' limits.
    f = tmp_path / "sum.yaml"
    f.write_text(f"""
apiVersion: v1
kind: Pod
metadata: {{name: sum}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {{name: a, image: {IMAGE}, command: [sleep, "300"],
      resources: {{limits: {{memory: 32Mi, cpu: 250m}}}}}}
  - {{name: b, image: {IMAGE}, command: [sleep, "300"],
      resources: {{limits: {{memory: 16Mi, cpu: 500m}}}}}}
""")
    plain.ok("kube", "play", str(f))
    pod = json.loads(plain.ok("pod", "inspect", "sum"))[0]["Id"]
    assert memory_limit(f"/teu/pod-{pod}") == 48 << 20
    assert cpu_quota(f"/teu/pod-{pod}") == 75_000
    plain.ok("kube", "down", str(f))
    assert _pod_cgroups(pod) == []
    # run --pod new:NAME: the pod is made, and takes the container's ports and hostname.
    plain.ok("run", "-d", "--pod", "new:fresh", "-p", "8082:80", "--hostname", "hh",
             "--name", "cc", IMAGE, "sleep", "300")
    info = json.loads(plain.ok("pod", "inspect", "fresh"))[0]
    assert info["InfraConfig"]["PortBindings"]["80/tcp"][0]["HostPort"] == "8082"
    assert [c["Name"] for c in info["Containers"]][1:] == ["cc"]
    assert plain.ok("exec", "cc", "hostname") == "hh\n"
    bad = plain("run", "--pod", "new:fresh", IMAGE, "true")
    assert bad.returncode == 125 and "fresh" in bad.stderr
    bad = plain("create", "--pod", "new:other", "--name", "cc", IMAGE, "true")  # name taken
    assert bad.returncode != 0 and "other" not in plain.ok("pod", "ls")
    plain.ok("pod", "rm", "-f", "fresh")
    assert plain.rows() == []


@pytest.mark.peer
def test_pod_inspect_and_ls_json_keys_as_podman(plain, tmp_path) -> None:  # noqa: ANN001
    """The same keys (and values where they do not depend on IDs and times) as podman
    4.3's, for the same pod (--network none, a label, a hostname), podman in private
    roots."""
    from tests.integration.podman_helpers import Podman

    args = ["pod", "create", "--network", "none", "--name", "pp", "--label", "a=b",
            "--hostname", "hh"]
    pm = Podman(tmp_path)
    try:
        pm(*args)
        theirs = json.loads(pm("pod", "inspect", "pp"))
        their_ls = json.loads(pm("pod", "ps", "--format", "json"))
    finally:
        pm.close()
    theirs = theirs[0] if isinstance(theirs, list) else theirs
    plain.ok(*args)
    ours = json.loads(plain.ok("pod", "inspect", "pp"))[0]
    # A pod without limits has no cgroup of its own in teu: podman's CgroupPath has no peer.
    assert set(ours) == set(theirs) - {"CgroupPath"}
    assert set(ours["InfraConfig"]) == set(theirs["InfraConfig"])
    for key in ("Name", "ExitPolicy", "State", "Hostname", "Labels", "NumContainers",
                "CreateInfra"):
        assert ours[key] == theirs[key], key
    assert sorted(ours["SharedNamespaces"]) == sorted(theirs["SharedNamespaces"])
    assert {k: v for k, v in ours["InfraConfig"].items()} == theirs["InfraConfig"]
    assert set(ours["Containers"][0]) == set(theirs["Containers"][0])
    our_ls = json.loads(plain.ok("pod", "ls", "--format", "json"))
    assert set(our_ls[0]) == set(their_ls[0])
    assert set(our_ls[0]["Containers"][0]) == set(their_ls[0]["Containers"][0])
    for key in ("Name", "Status", "Labels", "Networks", "Namespace"):
        assert our_ls[0][key] == their_ls[0][key], key
    head = plain.ok("pod", "ls").splitlines()[0].split()
    assert head == ["POD", "ID", "NAME", "STATUS", "CREATED", "INFRA", "ID", "#", "OF",
                    "CONTAINERS"]
