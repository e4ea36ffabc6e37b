"""teu-runtime as a Kubernetes node's runtime: containerd 1.6's CRI plugin with a `teu`
handler (the runc shim with BinaryName = teu-runtime), driven through the CRI v1 gRPC
stubs as the kubelet drives it. One pod, two containers, every call the kubelet makes
for their life, then nothing of them may be left: mounts, cgroups, processes, netns,
teu-runtime state.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from tests.integration import cgroup_files
from tests.integration.cri_helpers import cri_node
from tests.integration.proc_helpers import wait_until

from teu.testing.crinode import (
    BUSYBOX_IMAGE,
    CNI_NETWORK,
    PAUSE_IMAGE,
    SUBNET,
)

pytestmark = [pytest.mark.root, pytest.mark.peer]

MIB = 1024 * 1024
# One CRI log line: RFC 3339 nano time, stream, P(artial)/F(ull) tag, the text.
CRI_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) "
                          r"(stdout|stderr) [PF] (.*)$")


@pytest.fixture
def node():  # noqa: ANN201 - a generator (cri_helpers.cri_node)
    yield from cri_node()


def _log_lines(path: str) -> list[tuple[str, str]]:
    """(stream, text) of each line of a CRI log file; every line must be in CRI format."""
    lines = []
    with open(path) as f:
        for raw in f.read().splitlines():
            m = CRI_LOG_LINE.match(raw)
            assert m, f"not a CRI log line: {raw!r}"
            lines.append((m.group(2), m.group(3)))
    return lines


# runc first: the same pod under containerd's own runtime shows the test expects only
# what runc does.
@pytest.mark.parametrize("handler", ["runc", "teu"])
def test_pod_of_two_containers_through_cri(node, tmp_path: Path, handler: str) -> None:
    import grpc
    from cri_api.v1 import api_pb2 as cri

    daemon, cgroup_parent = node
    rt, images = daemon.cri()

    version = rt.Version(cri.VersionRequest())
    assert version.runtime_name == "containerd" and version.runtime_api_version == "v1"
    conditions = {c.type: c.status for c in rt.Status(cri.StatusRequest()).status.conditions}
    assert conditions == {"RuntimeReady": True, "NetworkReady": True}, conditions
    assert {i.repo_tags[0] for i in images.ListImages(cri.ListImagesRequest()).images} >= {
        PAUSE_IMAGE, BUSYBOX_IMAGE}

    logs = tmp_path / "pod-logs"
    logs.mkdir()
    sandbox_config = cri.PodSandboxConfig(
        metadata=cri.PodSandboxMetadata(name="web", uid=uuid.uuid4().hex, namespace="default"),
        hostname="web-pod", log_directory=str(logs),
        linux=cri.LinuxPodSandboxConfig(
            cgroup_parent=cgroup_parent, sysctls={"net.ipv4.ping_group_range": "0 2000"},
            security_context=cri.LinuxSandboxSecurityContext(  # shareProcessNamespace
                namespace_options=cri.NamespaceOption(pid=cri.POD))))
    pod = rt.RunPodSandbox(cri.RunPodSandboxRequest(config=sandbox_config,
                                                    runtime_handler=handler)).pod_sandbox_id
    status = rt.PodSandboxStatus(cri.PodSandboxStatusRequest(pod_sandbox_id=pod)).status
    assert status.state == cri.SANDBOX_READY
    assert status.runtime_handler == handler
    assert ipaddress.ip_address(status.network.ip) in ipaddress.ip_network(SUBNET)
    assert Path(daemon.top, "cni-ipam", CNI_NETWORK, status.network.ip).exists()  # lease
    assert daemon.runtime_state(handler) == {pod}  # under this handler's runtime
    assert os.path.exists(daemon.shim_socket(pod))

    def container(name: str, script: str | None, memory: int, quota: int,
                  tty: bool = False, security: cri.LinuxContainerSecurityContext | None = None,
                  mounts: list | None = None) -> str:
        config = cri.ContainerConfig(
            metadata=cri.ContainerMetadata(name=name), image=cri.ImageSpec(image=BUSYBOX_IMAGE),
            command=["sh", "-c", script] if script else ["/no/such/binary"],
            log_path=f"{name}.log", tty=tty, mounts=mounts or [],
            envs=[cri.KeyValue(key="WHO", value=name)],
            linux=cri.LinuxContainerConfig(resources=cri.LinuxContainerResources(
                memory_limit_in_bytes=memory, cpu_period=100000, cpu_quota=quota,
                cpu_shares=256), security_context=security))
        return rt.CreateContainer(cri.CreateContainerRequest(
            pod_sandbox_id=pod, config=config, sandbox_config=sandbox_config)).container_id

    volume = tmp_path / "volume"  # a hostPath volume, read-only in web
    volume.mkdir()
    (volume / "config.txt").write_text("from-the-node\n")
    # web serves a page on the pod's network from a daemon (httpd forks away from the
    # init) and ignores SIGTERM: its stop ends in SIGKILL of the init, then the shim's
    # `kill --all ID 9` (the pod shares one pid namespace) for the httpd left behind.
    # side stops on SIGTERM.
    web = container("web", "trap '' TERM; mkdir -p /www && echo page-of-$WHO > /www/index.html"
                    " && httpd -p 8080 -h /www && echo started-$WHO && echo warn-$WHO >&2 && "
                    "while :; do sleep 0.2; done", 64 * MIB, 50000,
                    mounts=[cri.Mount(host_path=str(volume), container_path="/data",
                                      readonly=True)])
    # side runs as a kubelet's restricted pod would: a user, no capabilities, read-only
    # root, no new privileges, the runtime's default seccomp profile.
    side = container("side", "trap 'echo bye-$WHO; exit 0' TERM; echo started-$WHO; "
                     "while :; do sleep 0.2; done", 32 * MIB, 20000, tty=True,
                     security=cri.LinuxContainerSecurityContext(
                         run_as_user=cri.Int64Value(value=1000), readonly_rootfs=True,
                         no_new_privs=True, capabilities=cri.Capability(
                             drop_capabilities=["ALL"]),
                         seccomp=cri.SecurityProfile(
                             profile_type=cri.SecurityProfile.RuntimeDefault)))
    for cid in (web, side):
        rt.StartContainer(cri.StartContainerRequest(container_id=cid))
    # A runtime's error reaches the kubelet from the JSON lines of its --log file
    # (containerd says "unable to retrieve OCI runtime error" when it cannot read them).
    bad = container("bad", None, 16 * MIB, 10000)
    with pytest.raises(grpc.RpcError) as failed:
        rt.StartContainer(cri.StartContainerRequest(container_id=bad))
    message = failed.value.details()
    assert "OCI runtime create failed" in message, message
    assert '"/no/such/binary"' in message and "no such file or directory" in message, message

    def state(cid: str) -> cri.ContainerStatus:
        return rt.ContainerStatus(cri.ContainerStatusRequest(container_id=cid)).status

    for cid in (web, side):
        assert state(cid).state == cri.CONTAINER_RUNNING
    assert daemon.runtime_state(handler) == {pod, web, side}

    # Limits, in each container's own cgroup under the pod's parent (cgroupfs driver).
    for cid, memory, quota in ((web, 64 * MIB, 50000), (side, 32 * MIB, 20000)):
        assert cgroup_files.memory_limit(f"{cgroup_parent}/{cid}") == memory
        assert cgroup_files.cpu_quota(f"{cgroup_parent}/{cid}") == quota
        assert cgroup_files.cpu_shares_as_set(f"{cgroup_parent}/{cid}", 256)
    # UpdateContainerResources: the shim's `update --resources -`.
    rt.UpdateContainerResources(cri.UpdateContainerResourcesRequest(
        container_id=side, linux=cri.LinuxContainerResources(
            memory_limit_in_bytes=48 * MIB, cpu_period=100000, cpu_quota=30000,
            cpu_shares=256)))
    assert cgroup_files.memory_limit(f"{cgroup_parent}/{side}") == 48 * MIB
    assert cgroup_files.cpu_quota(f"{cgroup_parent}/{side}") == 30000

    # Out of memory: the shim watches the container's cgroup (found from the init's pid)
    # and CRI reports OOMKilled, as `kubectl describe` shows it.
    hog = container("hog", "cat /dev/zero | tail", 16 * MIB, 10000)
    rt.StartContainer(cri.StartContainerRequest(container_id=hog))
    wait_until(lambda: state(hog).state == cri.CONTAINER_EXITED, 20, "hog to be killed")
    assert (state(hog).reason, state(hog).exit_code) == ("OOMKilled", 137), state(hog)

    # ContainerStats (kubectl top): the shim reads the init's cgroups itself.
    stats = rt.ContainerStats(cri.ContainerStatsRequest(container_id=web)).stats
    assert stats.memory.working_set_bytes.value > 0, stats
    assert stats.cpu.usage_core_nano_seconds.value > 0, stats

    # ExecSync: `exec --process F --detach --pid-file P`; output and exit code come back.
    out = rt.ExecSync(cri.ExecSyncRequest(
        container_id=web, cmd=["sh", "-c", "echo out-$WHO; echo err-$WHO >&2; exit 3"],
        timeout=10))
    assert (out.stdout, out.stderr, out.exit_code) == (b"out-web\n", b"err-web\n", 3)
    # The volume, read-only; the pod's hostname.
    out = rt.ExecSync(cri.ExecSyncRequest(container_id=web, timeout=10, cmd=[
        "sh", "-c", "cat /data/config.txt; hostname; touch /data/x 2>&1"]))
    lines = out.stdout.decode().splitlines()
    assert lines[:2] == ["from-the-node", "web-pod"] and "Read-only file system" in lines[2], lines
    assert not (volume / "x").exists()
    # The pod's sysctls, in its network namespace (ICMP sockets for the pod's users).
    out = rt.ExecSync(cri.ExecSyncRequest(
        container_id=side, cmd=["cat", "/proc/sys/net/ipv4/ping_group_range"], timeout=10))
    assert out.stdout.split() == [b"0", b"2000"], out
    # A command that is not there: runc's words, from the exec's --log line.
    with pytest.raises(grpc.RpcError) as failed:
        rt.ExecSync(cri.ExecSyncRequest(container_id=web, cmd=["nosuch"], timeout=10))
    assert 'OCI runtime exec failed: exec failed: ' in failed.value.details()
    assert 'exec: "nosuch": executable file not found in $PATH' in failed.value.details()
    # The pod shares one network namespace: side reaches web on localhost.
    out = rt.ExecSync(cri.ExecSyncRequest(
        container_id=side, cmd=["wget", "-q", "-O", "-", "http://127.0.0.1:8080/"], timeout=10))
    assert (out.stdout, out.exit_code) == (b"page-of-web\n", 0), out.stderr
    out = rt.ExecSync(cri.ExecSyncRequest(container_id=side, cmd=["ip", "-4", "-o", "addr"],
                                          timeout=10))
    assert status.network.ip in out.stdout.decode()
    out = rt.ExecSync(cri.ExecSyncRequest(container_id=side, cmd=[
        "sh", "-c", "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; "
        "touch /x 2>&1 || true"], timeout=10))
    assert out.stdout.decode().split("\n")[:4] == [
        "1000", "CapEff:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"], out.stdout
    assert b"Read-only file system" in out.stdout, out.stdout

    # A terminal for an exec (kubectl exec -t): `exec --console-socket` through the shim.
    out = daemon.ctr_tty("task", "exec", "-t", "--exec-id", "tty1", side, "sh", "-c",
                         "tty; echo $WHO")
    assert "/dev/pts/" in out and "side\r" in out, out

    # ps, pause and resume through the same shim (ctr's task verbs).
    rows = daemon.ctr("task", "ps", side).split()
    tasks = {line.split()[0]: line.split() for line in daemon.ctr("task", "ls").splitlines()}
    init_pid = int(tasks[side][1])  # TASK PID STATUS
    assert rows[:2] == ["PID", "INFO"] and init_pid in map(int, rows[2::2]), rows
    assert init_pid in cgroup_files.pids_under(cgroup_parent)
    daemon.ctr("task", "pause", side)
    assert cgroup_files.frozen(f"{cgroup_parent}/{side}")
    assert f"{side} " in daemon.ctr("task", "ls") and "PAUSED" in daemon.ctr("task", "ls")
    daemon.ctr("task", "resume", side)
    assert not cgroup_files.frozen(f"{cgroup_parent}/{side}")
    mounted = daemon.mounts()
    assert any("/io.containerd.grpc.v1.cri/netns/" in m for m in mounted), mounted
    assert len([m for m in mounted if m.endswith("/rootfs")]) == 3, mounted

    # Logs in CRI format: web's stdout and stderr apart; side's tty all on stdout.
    wait_until(lambda: len(_log_lines(str(logs / "web.log"))) >= 2, 10, "web's log")
    web_log = _log_lines(str(logs / "web.log"))
    assert ("stdout", "started-web") in web_log and ("stderr", "warn-web") in web_log

    rt.StopContainer(cri.StopContainerRequest(container_id=web, timeout=1))
    assert (state(web).state, state(web).exit_code) == (cri.CONTAINER_EXITED, 137)
    # `kill --all` reached web's httpd after its init had gone: nothing serves any more,
    # and no httpd is left in the pod's one pid namespace.
    out = rt.ExecSync(cri.ExecSyncRequest(container_id=side, cmd=["ps", "-o", "comm"],
                                          timeout=10))
    assert b"httpd" not in out.stdout and b"sleep" in out.stdout, out.stdout
    rt.StopContainer(cri.StopContainerRequest(container_id=side, timeout=10))
    assert (state(side).state, state(side).exit_code) == (cri.CONTAINER_EXITED, 0)
    side_log = [text.rstrip("\r") for _, text in _log_lines(str(logs / "side.log"))]
    assert side_log == ["started-side", "bye-side"], side_log

    rt.StopPodSandbox(cri.StopPodSandboxRequest(pod_sandbox_id=pod))
    stopped = rt.PodSandboxStatus(cri.PodSandboxStatusRequest(pod_sandbox_id=pod)).status
    assert stopped.state == cri.SANDBOX_NOTREADY
    rt.RemovePodSandbox(cri.RemovePodSandboxRequest(pod_sandbox_id=pod))
    assert not rt.ListPodSandbox(cri.ListPodSandboxRequest()).items
    assert not rt.ListContainers(cri.ListContainersRequest()).containers

    # Nothing left: teu-runtime state, processes and cgroups of the pod, the shims,
    # rootfs and netns mounts (containerd's state dir holds both).
    assert daemon.runtime_state(handler) == set()
    assert cgroup_files.pids_under(cgroup_parent) == []
    assert [d for d in cgroup_files.dirs_under(cgroup_parent)
            if os.path.basename(d) in (pod, web, side, hog, bad)] == []
    wait_until(lambda: not daemon.shim_pids(), 10, "the shims to exit")
    assert not os.path.exists(daemon.shim_socket(pod))
    assert daemon.mounts() == []
    assert not Path(daemon.top, "cni-ipam", CNI_NETWORK, status.network.ip).exists()


def _cap_eff(status: str) -> str:
    return next(line.split()[1] for line in status.splitlines() if line.startswith("CapEff:"))


@pytest.mark.parametrize("handler", ["runc", "teu"])
def test_privileged_pod_in_the_nodes_namespaces(node, handler: str) -> None:
    """A node agent's pod (a CNI daemon, kube-proxy): hostNetwork, hostPID, hostIPC and a
    privileged container: the node's links and processes, every capability root has."""
    from cri_api.v1 import api_pb2 as cri

    daemon, cgroup_parent = node
    rt, _ = daemon.cri()
    host = cri.NamespaceOption(network=cri.NODE, pid=cri.NODE, ipc=cri.NODE)
    sandbox_config = cri.PodSandboxConfig(
        metadata=cri.PodSandboxMetadata(name="agent", uid=uuid.uuid4().hex,
                                        namespace="kube-system"),
        linux=cri.LinuxPodSandboxConfig(
            cgroup_parent=cgroup_parent, security_context=cri.LinuxSandboxSecurityContext(
                namespace_options=host, privileged=True)))
    pod = rt.RunPodSandbox(cri.RunPodSandboxRequest(config=sandbox_config,
                                                    runtime_handler=handler)).pod_sandbox_id
    cid = rt.CreateContainer(cri.CreateContainerRequest(
        pod_sandbox_id=pod, sandbox_config=sandbox_config, config=cri.ContainerConfig(
            metadata=cri.ContainerMetadata(name="agent"),
            image=cri.ImageSpec(image=BUSYBOX_IMAGE), command=["sleep", "600"],
            linux=cri.LinuxContainerConfig(security_context=cri.LinuxContainerSecurityContext(
                privileged=True, namespace_options=host))))).container_id
    rt.StartContainer(cri.StartContainerRequest(container_id=cid))

    out = rt.ExecSync(cri.ExecSyncRequest(container_id=cid, timeout=10, cmd=[
        "sh", "-c", f"ip -o link | cut -d: -f2; test -d /proc/{daemon.proc.pid} && "
        "echo sees-containerd; cat /proc/self/status"]))
    assert out.exit_code == 0, out.stderr
    text = out.stdout.decode()
    node_links = subprocess.run([*daemon.prefix, "ip", "-o", "link"], capture_output=True,
                                text=True, check=True).stdout
    assert [x.strip() for x in text.split("sees-containerd")[0].split()] == [
        line.split(":")[1].strip() for line in node_links.splitlines()]
    assert "sees-containerd" in text  # the node's pid namespace
    with open("/proc/self/status") as f:
        assert _cap_eff(text) == _cap_eff(f.read())  # all that root has here

    rt.StopPodSandbox(cri.StopPodSandboxRequest(pod_sandbox_id=pod))
    rt.RemovePodSandbox(cri.RemovePodSandboxRequest(pod_sandbox_id=pod))
    assert daemon.runtime_state(handler) == set()
    assert cgroup_files.pids_under(cgroup_parent) == []
    wait_until(lambda: not daemon.shim_pids(), 10, "the shim to exit")
    assert daemon.mounts() == []
