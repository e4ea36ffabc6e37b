"""A pod's probes (Kubernetes' liveness, readiness and startup probes) and how one is
run once, as the kubelet runs them: an HTTP GET to the pod's IP and port (success is
a status of 200-399), a TCP connect, a gRPC health check (grpc.health.v1, SERVING), or
a command inside the container (exit 0).

The kubelet probes from the node into the pod's network namespace; teu opens each
probe's socket inside the pod's namespace (setns on this thread, the socket made,
setns back) and connects to the pod's IP from there, so a server that listens only on
127.0.0.1 fails as it would under a kubelet, and pods on any network driver (or none)
can be probed. What schedules probes and acts on them is teu.engine.pods.prober (a
sh loop beside the pod that runs the one-shot `teu pod probe` when a probe is due).
"""

from __future__ import annotations

import os
import socket

KINDS = ("startup", "liveness", "readiness")
USER_AGENT = "kube-probe/1.30"
OUTPUT_LIMIT = 1024


class Probe:
    """One probe of one container, with Kubernetes' defaults. `action`: exec, http, tcp
    or grpc; `container` is the member's container name. A plain class, not a
    dataclass: the one-shot prober imports this at every due probe, and `dataclasses`
    (it imports inspect) would be a third of that start's CPU."""

    FIELDS = ("container", "kind", "action", "command", "scheme", "host", "port", "path",
              "headers", "service", "initial_delay", "period", "timeout",
              "failure_threshold", "success_threshold")

    def __init__(self, container: str, kind: str, action: str,
                 command: list[str] | None = None, scheme: str = "HTTP", host: str = "",
                 port: int = 0, path: str = "/", headers: list[list[str]] | None = None,
                 service: str = "", initial_delay: float = 0, period: float = 10,
                 timeout: float = 1, failure_threshold: int = 3,
                 success_threshold: int = 1) -> None:
        self.container, self.kind, self.action = container, kind, action
        self.command = list(command or [])
        self.scheme, self.host, self.port, self.path = scheme, host, port, path
        self.headers = [list(h) for h in headers or []]
        self.service = service
        self.initial_delay, self.period, self.timeout = initial_delay, period, timeout
        self.failure_threshold, self.success_threshold = failure_threshold, success_threshold

    def to_dict(self) -> dict:
        return {k: [list(h) for h in self.headers] if k == "headers"
                else list(self.command) if k == "command" else getattr(self, k)
                for k in self.FIELDS}

    @classmethod
    def from_dict(cls, d: dict) -> Probe:
        return cls(**{k: v for k, v in d.items() if k in cls.FIELDS})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Probe) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Probe({self.to_dict()!r})"

    def describe(self) -> str:
        if self.action == "http":
            return f"httpGet {self.scheme.lower()}://{self.host or 'POD'}:{self.port}{self.path}"
        if self.action == "tcp":
            return f"tcpSocket {self.host or 'POD'}:{self.port}"
        if self.action == "grpc":
            return f"grpc {self.host or 'POD'}:{self.port} {self.service!r}"
        return f"exec {' '.join(self.command)}"


def socket_in(netns_fd: int, family: int) -> socket.socket:
    """A TCP socket that belongs to the namespace `netns_fd` (-1: this one)."""
    if netns_fd < 0:
        return socket.socket(family, socket.SOCK_STREAM)
    from teu.runtime import linux as L

    sys = L.syscalls()
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        sys.setns(netns_fd, L.CLONE_NEWNET)
        try:
            return socket.socket(family, socket.SOCK_STREAM)
        finally:
            sys.setns(home, L.CLONE_NEWNET)
    finally:
        os.close(home)


def _connect(p: Probe, netns_fd: int, host: str) -> socket.socket:
    target = p.host or host
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    s = socket_in(netns_fd, family)
    s.settimeout(p.timeout)
    try:
        s.connect((target, p.port))
    except BaseException:
        s.close()
        raise
    return s


def http_get(p: Probe, netns_fd: int, host: str) -> tuple[bool, str]:
    import http.client

    target = p.host or host
    s = _connect(p, netns_fd, host)
    if p.scheme.upper() == "HTTPS":
        import ssl

        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the kubelet does not verify probe certificates
        s = ctx.wrap_socket(s, server_hostname=target)
    conn = http.client.HTTPConnection(target, p.port, timeout=p.timeout)
    conn.sock = s
    try:
        headers = {"Host": f"{target}:{p.port}", "User-Agent": USER_AGENT, "Accept": "*/*"}
        for name, value in p.headers:
            headers[name] = value
        conn.request("GET", p.path or "/", headers=headers)
        r = conn.getresponse()
        body = r.read(OUTPUT_LIMIT).decode(errors="replace")
        ok = 200 <= r.status < 400
        return ok, f"HTTP probe {'succeeded' if ok else 'failed'} with statuscode: " \
                   f"{r.status}" + ("" if ok else f": {body.strip()[:200]}")
    finally:
        conn.close()


def tcp_connect(p: Probe, netns_fd: int, host: str) -> tuple[bool, str]:
    _connect(p, netns_fd, host).close()
    return True, f"TCP probe: connected to {p.host or host}:{p.port}"


def grpc_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("grpc", "grpc_health"))


def grpc_check(p: Probe, netns_fd: int, host: str) -> tuple[bool, str]:
    """grpc.health.v1.Health/Check in a child that moved into the pod's namespace (gRPC
    makes its sockets on its own threads, so this thread's namespace is not enough)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            if netns_fd >= 0:
                from teu.runtime import linux as L

                L.syscalls().setns(netns_fd, L.CLONE_NEWNET)
            import grpc
            from grpc_health.v1 import health_pb2, health_pb2_grpc

            target = p.host or host
            addr = f"[{target}]:{p.port}" if ":" in target else f"{target}:{p.port}"
            with grpc.insecure_channel(addr) as ch:
                stub = health_pb2_grpc.HealthStub(ch)
                resp = stub.Check(health_pb2.HealthCheckRequest(service=p.service),
                                  timeout=p.timeout)
            name = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
            code = 0 if resp.status == health_pb2.HealthCheckResponse.SERVING else 1
            os.write(w, f"gRPC probe: status {name}".encode())
        except BaseException as e:  # noqa: BLE001 - the probe's output says why
            detail = getattr(e, "details", None)
            text = detail() if callable(detail) else str(e)
            os.write(w, f"gRPC probe failed: {text}"[:OUTPUT_LIMIT].encode(errors="replace"))
        finally:
            os._exit(code)
    os.close(w)
    try:
        import select
        import time

        deadline = time.monotonic() + p.timeout + 2
        chunks = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                return False, f"gRPC probe timed out after {p.timeout:g}s"
            chunk = os.read(r, OUTPUT_LIMIT)
            if not chunk:
                break
            chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0, b"".join(chunks).decode(
            errors="replace")
    finally:
        os.close(r)


def run_once(p: Probe, netns_fd: int, host: str, exec_probe=None) -> tuple[bool, str]:  # noqa: ANN001
    """(success, output) of one try; `exec_probe(command, timeout)` runs exec probes."""
    try:
        if p.action == "http":
            return http_get(p, netns_fd, host)
        if p.action == "tcp":
            return tcp_connect(p, netns_fd, host)
        if p.action == "grpc":
            return grpc_check(p, netns_fd, host)
        code, out = exec_probe(p.command, p.timeout)
        return code == 0, out.strip()[:OUTPUT_LIMIT] or f"exit code {code}"
    except TimeoutError:
        return False, f"{p.describe()}: timeout after {p.timeout:g}s"
    except OSError as e:
        return False, f"{p.describe()}: {e.strerror or e}"
    except Exception as e:  # noqa: BLE001 - a bad answer is a failed probe
        return False, f"{p.describe()}: {e}"
