"""`kube play` runs probes as the kubelet does, in a test host: httpGet (path, port by
name, headers, 200-399 is success) to the pod's IP, tcpSocket, exec and grpc
(grpc.health.v1 against a real grpcio server); startup gates the others; readiness
(successThreshold, failureThreshold) shows in ps/inspect/pod inspect; a liveness
failure kills the container and its restartPolicy decides: Always restarts it, Never
leaves it exited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import host_teu, wait_for

pytestmark = pytest.mark.root

# busybox httpd runs /cgi-bin/live: it notes what the prober sent (path, user agent,
# header) and answers 200 while /tmp/alive exists, 500 after.
LIVE_CGI = r"""#!/bin/sh
echo "$REQUEST_URI $HTTP_USER_AGENT $HTTP_X_PROBE" >> /tmp/seen
if [ -e /tmp/alive ]; then printf 'Content-Type: text/plain\r\n\r\nalive\n'
else printf 'HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\ndead\n'; fi
"""
WEB = "; ".join([
    "mkdir -p /w/cgi-bin", "touch /tmp/alive", "echo hi > /w/index.html",
    "printf '%s' \"$LIVE\" > /w/cgi-bin/live", "chmod +x /w/cgi-bin/live",
    "trap 'exit 0' TERM", "httpd -f -p 8080 -h /w & wait"])

# Replica 0 is ready from the start, replica 1 once /w/ready.txt exists.
GATE = "; ".join(["mkdir -p /w", "hostname > /w/index.html",
                  "case $(hostname) in *-0) touch /w/ready.txt;; esac",
                  "trap 'exit 0' TERM", "httpd -f -p 8000 -h /w & wait"])

PODS = f"""
apiVersion: v1
kind: Pod
metadata: {{name: web}}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: srv
    image: {IMAGE}
    command: [sh, -c, {json.dumps(WEB)}]
    env: [{{name: LIVE, value: {json.dumps(LIVE_CGI)}}}]
    ports: [{{containerPort: 8080, name: http}}]
    startupProbe:
      tcpSocket: {{port: http}}
      periodSeconds: 1
      failureThreshold: 20
    livenessProbe:
      httpGet:
        path: /cgi-bin/live
        port: http
        httpHeaders: [{{name: X-Probe, value: from-teu}}]
      periodSeconds: 1
      failureThreshold: 2
    readinessProbe:
      httpGet: {{path: /ready.txt, port: 8080}}
      periodSeconds: 1
      successThreshold: 2
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata: {{name: once}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: {IMAGE}
    command: [sh, -c, "touch /tmp/ok; trap 'exit 0' TERM; sleep 300 & wait"]
    livenessProbe:
      exec: {{command: [test, -e, /tmp/ok]}}
      initialDelaySeconds: 1
      periodSeconds: 1
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata: {{name: again}}
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: {IMAGE}
    command: [sh, -c, "touch /tmp/ok; trap 'exit 0' TERM; sleep 300 & wait"]
    livenessProbe:
      exec: {{command: [test, -e, /tmp/ok]}}
      initialDelaySeconds: 1
      periodSeconds: 1
      failureThreshold: 1
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: gate}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: gate}}}}
  template:
    metadata: {{labels: {{app: gate}}}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: c
        image: {IMAGE}
        command: [sh, -c, {json.dumps(GATE)}]
        ports: [{{containerPort: 8000, hostPort: 8090}}]
        readinessProbe: {{httpGet: {{path: /ready.txt, port: 8000}}, periodSeconds: 1}}
"""


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def health(teu, ctr: str) -> dict:  # noqa: ANN001
    return teu.inspect(ctr)["State"].get("Health") or {}


def teu_processes(teu) -> dict[tuple[int, str], tuple[str, str]]:  # noqa: ANN001
    """{(pid, start time): (program, command line)} of the processes whose command line
    names this teu's root: the probe loops, their one-shots, conmons."""
    root = str(teu.root)
    found = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{d}/stat") as f:
                start = f.read().rpartition(")")[2].split()[19]
            exe = os.path.basename(os.readlink(f"/proc/{d}/exe"))
        except OSError:
            continue
        if root in cmd:
            found[(int(d), start)] = (exe, cmd)
    return found


def pythons(procs: dict) -> set:  # noqa: ANN001
    return {k for k, (exe, _) in procs.items() if exe.startswith("python")}


def test_http_tcp_exec_probes(teu, tmp_path) -> None:  # noqa: ANN001
    f = tmp_path / "pods.yaml"
    f.write_text(PODS)
    out = teu("kube", "play", str(f), timeout=120)
    assert out.returncode == 0, out.stderr
    assert "not supported" not in out.stderr
    # Started (tcpSocket), alive (httpGet with the header), not ready: /ready.txt is 404.
    assert wait_for(lambda: len(health(teu, "web-srv").get("Log") or []) >= 3, 30)
    assert health(teu, "web-srv")["Status"] == "unhealthy"
    # Beside each probed pod a sh loop, no resident Python: a Python seen at three
    # moments seconds apart (here, after the readiness and the restart checks) would
    # be one; the one-shots come and go.
    first = teu_processes(teu)
    loops = [cmd for exe, cmd in first.values()
             if cmd.startswith("/bin/sh -c while ") and "pod probe" in cmd.replace("'", "")]
    assert len(loops) == 5, [v for v in first.values() if v[0] != "conmon"]  # web, once, again, gate-pod-0, gate-pod-1
    seen = teu.ok("exec", "web-srv", "cat", "/tmp/seen").splitlines()
    assert seen and seen[0].startswith("/cgi-bin/live kube-probe/") and \
        seen[0].endswith(" from-teu")
    ready = json.loads(teu.ok("pod", "inspect", "web"))[0]["Containers"]
    assert [c["Ready"] for c in ready if c["Name"] == "web-srv"] == [False]
    # Ready after two successes in a row; ps shows it.
    teu.ok("exec", "web-srv", "sh", "-c", "echo yes > /w/ready.txt")
    assert wait_for(lambda: health(teu, "web-srv")["Status"] == "healthy", 20)
    assert "(healthy)" in teu.ok("ps", "--filter", "name=web-srv", "--format",
                                 "{{.Status}}")
    ready = json.loads(teu.ok("pod", "inspect", "web"))[0]["Containers"]
    assert [c["Ready"] for c in ready if c["Name"] == "web-srv"] == [True]
    second = teu_processes(teu)
    # Liveness fails twice: killed and restarted (restartPolicy Always), probes reset.
    pid = teu.inspect("web-srv")["State"]["Pid"]
    teu.ok("exec", "web-srv", "rm", "/tmp/alive")
    assert wait_for(lambda: teu.inspect("web-srv")["RestartCount"] >= 1, 30)
    assert wait_for(lambda: teu.inspect("web-srv")["State"]["Running"], 20)
    assert teu.inspect("web-srv")["State"]["Pid"] != pid
    assert wait_for(lambda: health(teu, "web-srv").get("Log"), 20)  # probed again
    resident = pythons(first) & pythons(second) & pythons(teu_processes(teu))
    assert not resident, [first[k] for k in resident]
    # A host port spread over replicas goes only to the ready ones (Service endpoints).
    def answers() -> set[str]:
        return {teu.host.run("curl", "-s", "-m", "3", "http://127.0.0.1:8090/",
                             check=False).stdout for _ in range(4)}

    assert wait_for(lambda: answers() == {"gate-pod-0\n"}, 20)
    teu.ok("exec", "gate-pod-1-c", "touch", "/w/ready.txt")
    assert wait_for(lambda: answers() == {"gate-pod-0\n", "gate-pod-1\n"}, 20)
    # restartPolicy Never: the exec liveness probe fails once, the container stays down.
    assert teu.inspect("once-c")["State"]["Running"]
    teu.ok("exec", "once-c", "rm", "/tmp/ok")
    assert wait_for(lambda: not teu.inspect("once-c")["State"]["Running"], 20)
    info = teu.inspect("once-c")
    assert info["RestartCount"] == 0 and info["State"]["ExitCode"] == 0  # it trapped TERM
    # restartPolicy OnFailure: restarted after the kill even though it exited 0.
    teu.ok("exec", "again-c", "rm", "/tmp/ok")
    assert wait_for(lambda: teu.inspect("again-c")["RestartCount"] >= 1, 20)
    assert wait_for(lambda: teu.inspect("again-c")["State"]["Running"], 20)
    # pod stop ends the prober; pod start brings it back.
    teu.ok("pod", "stop", "-t", "1", "web")
    teu.ok("pod", "start", "web")
    teu.ok("exec", "web-srv", "rm", "/w/ready.txt")  # the rootfs kept it
    assert wait_for(lambda: health(teu, "web-srv").get("Status") == "unhealthy", 30)
    # kube generate of the played pod writes its probes back as they were given.
    import kubernetes_validate
    import yaml

    docs = [d for d in yaml.safe_load_all(teu.ok("kube", "generate", "web")) if d]
    for d in docs:
        kubernetes_validate.validate(d, "1.32", strict=True)
    c = next(d for d in docs if d["kind"] == "Pod")["spec"]["containers"][0]
    assert c["livenessProbe"] == {"httpGet": {"path": "/cgi-bin/live", "port": 8080,
                                              "httpHeaders": [{"name": "X-Probe",
                                                               "value": "from-teu"}]},
                                  "periodSeconds": 1, "failureThreshold": 2}
    assert c["startupProbe"]["tcpSocket"] == {"port": 8080}
    assert c["readinessProbe"]["successThreshold"] == 2
    teu.ok("kube", "down", str(f), timeout=60)
    assert teu.rows() == []


GRPC_SERVER = textwrap.dedent("""
    import os, sys, time
    from concurrent import futures
    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    h = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(h, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    h.set("shop", health_pb2.HealthCheckResponse.SERVING)
    print(port, flush=True)
    while not os.path.exists(sys.argv[1]):
        time.sleep(0.1)
    h.set("shop", health_pb2.HealthCheckResponse.NOT_SERVING)
    time.sleep(300)
""")


def test_grpc_probe(teu, tmp_path) -> None:  # noqa: ANN001
    """A pod on the test host's network (--network host): the grpc readiness probe asks
    a grpcio health server there; NOT_SERVING makes it not ready."""
    flip = tmp_path / "flip"
    server = subprocess.Popen([*teu.host.prefix(), sys.executable, "-c", GRPC_SERVER,
                               str(flip)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        f = tmp_path / "grpc.yaml"
        f.write_text(f"""
apiVersion: v1
kind: Pod
metadata: {{name: rpc}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: {IMAGE}
    command: [sleep, "300"]
    readinessProbe:
      grpc: {{port: {port}, service: shop}}
      periodSeconds: 1
""")
        out = teu("kube", "play", "--network", "host", str(f), timeout=120)
        assert out.returncode == 0, out.stderr
        assert wait_for(lambda: health(teu, "rpc-c").get("Status") == "healthy", 20)
        assert "SERVING" in health(teu, "rpc-c")["Log"][-1]["Output"]
        flip.touch()
        assert wait_for(lambda: health(teu, "rpc-c").get("Status") == "unhealthy", 20)
        assert "NOT_SERVING" in health(teu, "rpc-c")["Log"][-1]["Output"]
        teu.ok("kube", "down", str(f), timeout=60)
    finally:
        server.kill()
        server.wait()
