"""containerd's CRI streaming server with teu-runtime: what `kubectl exec -it`, `kubectl
attach` and `kubectl port-forward` do through a kubelet. crictl is not packaged here
(neither Debian 12 nor PyPI), so the test is the client: the CRI v1 stubs ask for an
Exec / Attach / PortForward URL, and websocket-client speaks the Kubernetes streaming
protocol (v4.channel.k8s.io: one leading channel byte per message, 0 stdin, 1 stdout,
2 stderr, 3 the exit status; port-forward: a data and an error channel per port) to
containerd's streaming server inside containerd's own network namespace. runc first,
as the reference, then teu."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from tests.integration.cri_helpers import cri_node

from teu.testing.crinode import BUSYBOX_IMAGE, CriNode

pytestmark = [pytest.mark.root, pytest.mark.peer]
PROTOCOL = "v4.channel.k8s.io"


@pytest.fixture(scope="module")
def node():  # noqa: ANN201 - a generator (cri_helpers.cri_node); one containerd for both handlers
    yield from cri_node()


def _connect(daemon: CriNode, url: str):  # noqa: ANN202 - a websocket.WebSocket
    """A websocket to the streaming server's URL, from containerd's network namespace."""
    from urllib.parse import urlparse

    import websocket

    from teu.engine.pods.probes import socket_in

    u = urlparse(url)
    fd = os.open(f"/run/netns/{daemon.netns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        sock = socket_in(fd, 2)  # AF_INET
    finally:
        os.close(fd)
    sock.settimeout(20)
    sock.connect((u.hostname, u.port))
    return websocket.create_connection(url.replace("http://", "ws://", 1),
                                       subprotocols=[PROTOCOL], socket=sock, timeout=20)


def _session(ws, send: bytes = b"", close_stdin: bool = False) -> dict[int, bytes]:  # noqa: ANN001
    """Send `send` on stdin, then read every channel until the server closes."""
    import websocket

    if send:
        ws.send_binary(b"\x00" + send)
    out: dict[int, bytes] = {}
    while True:
        try:
            opcode, data = ws.recv_data()
        except websocket.WebSocketConnectionClosedException:
            break
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
        if data:
            out[data[0]] = out.get(data[0], b"") + data[1:]
    ws.close()
    return out


def _exit_code(status: bytes) -> int:
    """The v4 error channel's metav1.Status: Success, or the ExitCode cause."""
    s = json.loads(status)
    if s.get("status") == "Success":
        return 0
    causes = (s.get("details") or {}).get("causes") or []
    return int(next(c["message"] for c in causes if c.get("reason") == "ExitCode"))


@pytest.mark.parametrize("handler", ["runc", "teu"])
def test_exec_attach_port_forward_through_the_streaming_server(node, handler: str) -> None:
    from cri_api.v1 import api_pb2 as cri

    daemon, cgroup_parent = node
    rt, _ = daemon.cri()
    sandbox_config = cri.PodSandboxConfig(
        metadata=cri.PodSandboxMetadata(name="stream", uid=uuid.uuid4().hex,
                                        namespace="default"),
        linux=cri.LinuxPodSandboxConfig(cgroup_parent=cgroup_parent))
    pod = rt.RunPodSandbox(cri.RunPodSandboxRequest(config=sandbox_config,
                                                    runtime_handler=handler)).pod_sandbox_id
    # The container's init is `cat` on its stdin (attach's target); httpd beside it on
    # the pod's network (port-forward's).
    cid = rt.CreateContainer(cri.CreateContainerRequest(
        pod_sandbox_id=pod, sandbox_config=sandbox_config, config=cri.ContainerConfig(
            metadata=cri.ContainerMetadata(name="box"), image=cri.ImageSpec(image=BUSYBOX_IMAGE),
            command=["sh", "-c", "mkdir /w && echo forwarded-page > /w/index.html && "
                     "httpd -p 8080 -h /w && exec cat"],
            stdin=True, envs=[cri.KeyValue(key="WHO", value=handler)]))).container_id
    rt.StartContainer(cri.StartContainerRequest(container_id=cid))
    try:
        # kubectl exec: stdout, stderr and the exit code apart.
        url = rt.Exec(cri.ExecRequest(container_id=cid, cmd=[
            "sh", "-c", "echo out-$WHO; echo err-$WHO >&2; exit 3"], stdout=True,
            stderr=True)).url
        got = _session(_connect(daemon, url))
        assert got[1] == f"out-{handler}\n".encode() and got[2] == f"err-{handler}\n".encode()
        assert _exit_code(got[3]) == 3
        # kubectl exec -it: a terminal (exec --console-socket), commands from stdin.
        url = rt.Exec(cri.ExecRequest(container_id=cid, cmd=["sh"], tty=True, stdin=True,
                                      stdout=True)).url
        got = _session(_connect(daemon, url), b"echo tty-$((6*7)); tty; exit 5\n")
        text = got[1].decode(errors="replace")
        assert "tty-42" in text and "/dev/pts/" in text, text
        assert _exit_code(got[3]) == 5
        # kubectl attach: to the init's stdin and stdout.
        ws = _connect(daemon, rt.Attach(cri.AttachRequest(container_id=cid, stdin=True,
                                                          stdout=True)).url)
        ws.send_binary(b"\x00hello-attach\n")
        echoed = b""
        while b"hello-attach\n" not in echoed:
            _, data = ws.recv_data()
            if data and data[0] == 1:
                echoed += data[1:]
        ws.close()
        # kubectl port-forward: the pod's port 8080 through the streaming server.
        ws = _connect(daemon, rt.PortForward(cri.PortForwardRequest(
            pod_sandbox_id=pod, port=[8080])).url)
        ws.send_binary(b"\x00GET /index.html HTTP/1.0\r\n\r\n")
        got = _session(ws)
        assert got[0][:2] == (8080).to_bytes(2, "little")  # each channel opens with its port
        assert b"forwarded-page" in got[0], got
    finally:
        rt.StopPodSandbox(cri.StopPodSandboxRequest(pod_sandbox_id=pod))
        rt.RemovePodSandbox(cri.RemovePodSandboxRequest(pod_sandbox_id=pod))
    assert daemon.runtime_state(handler) == set()
