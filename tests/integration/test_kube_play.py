"""`teu kube play` of hand-written manifests in a test host: a Pod (init container,
ConfigMap and Secret as env and files, a PVC, an emptyDir shared by two containers, a
hostPort), a Deployment of 3 replicas behind a NodePort Service, a Job run to
completion writing into the PVC; each verified by real traffic or files. Then bad
input: invalid YAML (file:line), names Kubernetes refuses, a missing PVC, an image that
cannot be pulled, port conflicts (in the manifest and with a running container) -
clear one-line errors and nothing half-made; `kube down` leaves nothing."""

from __future__ import annotations

import json

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu
from tests.integration.net_helpers import host_teu, wait_for

pytestmark = pytest.mark.root

APP = f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: site}}
data:
  GREETING: hello
  index.html: "from a configmap\\n"
---
apiVersion: v1
kind: Secret
metadata: {{name: creds}}
data: {{password: czNjcmV0}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: shared}}
spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web, labels: {{app: web}}}}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1  # httpd and sleep as PID 1 ignore SIGTERM
  initContainers:
  - name: prepare
    image: {IMAGE}
    command: [sh, -c, "echo prepared > /cache/init"]
    volumeMounts: [{{name: cache, mountPath: /cache}}]
  containers:
  - name: srv
    image: {IMAGE}
    command: [httpd, -f, -p, "80", -h, /www]
    ports: [{{containerPort: 80, hostPort: 8080}}]
    envFrom: [{{configMapRef: {{name: site}}}}]
    env:
    - {{name: PASSWORD, valueFrom: {{secretKeyRef: {{name: creds, key: password}}}}}}
    - {{name: POD, valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}}}
    volumeMounts:
    - {{name: www, mountPath: /www, readOnly: true}}
    - {{name: creds, mountPath: /etc/creds}}
    - {{name: shared, mountPath: /shared}}
    - {{name: cache, mountPath: /cache}}
    resources: {{limits: {{memory: 64Mi, cpu: 500m}}}}
    securityContext: {{capabilities: {{drop: [NET_RAW]}}}}
    livenessProbe: {{exec: {{command: ["true"]}}, periodSeconds: 2}}
  - name: helper
    image: {IMAGE}
    env: [{{name: WHO, value: helper}}]
    command: [sh, -c, "echo $(WHO) > /cache/who; exec sleep 300"]
    volumeMounts: [{{name: cache, mountPath: /cache}}]
  volumes:
  - {{name: www, configMap: {{name: site, items: [{{key: index.html, path: index.html}}]}}}}
  - {{name: creds, secret: {{secretName: creds}}}}
  - {{name: shared, persistentVolumeClaim: {{claimName: shared}}}}
  - {{name: cache, emptyDir: {{}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: api
        image: {IMAGE}
        command: [sh, -c, "mkdir /w; hostname > /w/index.html; exec httpd -f -p 8000 -h /w"]
        ports: [{{containerPort: 8000, name: http, hostPort: 8001}}]
---
apiVersion: v1
kind: Service
metadata: {{name: api}}
spec:
  type: NodePort
  selector: {{app: api}}
  ports: [{{port: 80, targetPort: http, nodePort: 30080}}]
---
apiVersion: batch/v1
kind: Job
metadata: {{name: seed}}
spec:
  backoffLimit: 1
  ttlSecondsAfterFinished: 100
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: seed
        image: {IMAGE}
        command: [sh, -c, "echo seeded-by-job > /shared/seed"]
        volumeMounts: [{{name: shared, mountPath: /shared}}]
      volumes: [{{name: shared, persistentVolumeClaim: {{claimName: shared}}}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: ignored}}
"""


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def curl(teu, url: str) -> str:  # noqa: ANN001
    return teu.host.run("curl", "-sf", "-m", "3", url, check=False).stdout


def test_play_pod_deployment_job_service(teu, tmp_path) -> None:  # noqa: ANN001
    app = tmp_path / "app.yaml"
    app.write_text(APP)
    out = teu("kube", "play", str(app), timeout=180)
    assert out.returncode == 0, out.stderr
    assert "kind Ingress (networking.k8s.io/v1) is not supported: skipped" in out.stderr
    assert "Job seed completed" in out.stdout
    assert "Job seed: field spec.ttlSecondsAfterFinished is not supported" in out.stderr
    pods = teu.ok("pod", "ls", "--format", "{{.Name}} {{.Status}}").split("\n")
    assert sorted(p for p in pods if p) == [
        "api-pod-0 Running", "api-pod-1 Running", "api-pod-2 Running", "seed-pod Exited",
        "web Running"]
    # Pod + ConfigMap (files and env) + Secret + hostPort, answered on the test host.
    assert wait_for(lambda: curl(teu, "http://127.0.0.1:8080/index.html")
                    == "from a configmap\n")
    infra = json.loads(teu.ok("pod", "inspect", "web"))[0]["InfraContainerID"]
    assert list(teu.inspect(infra)["NetworkSettings"]["Networks"]) == ["teu-kube"]
    env = teu.inspect("web-srv")["Config"]["Env"]
    assert {"GREETING=hello", "PASSWORD=s3cret", "POD=web"} <= set(env)
    assert teu.ok("exec", "web-srv", "cat", "/etc/creds/password") == "s3cret"
    info = teu.inspect("web-srv")["HostConfig"]
    assert info["Memory"] == 64 << 20 and info["NanoCpus"] == 500_000_000
    assert info["CapDrop"] == ["CAP_NET_RAW"]
    # The init container ran first (into the emptyDir both containers share), and is gone.
    assert teu.ok("exec", "web-helper", "cat", "/cache/init") == "prepared\n"
    assert teu.ok("exec", "web-helper", "cat", "/cache/who") == "helper\n"  # $(WHO)
    assert "web-prepare" not in teu.ok("ps", "-a", "--format", "{{.Names}}")
    # The Job ran to completion and wrote into the PVC the Pod mounts.
    assert teu.ok("exec", "web-srv", "cat", "/shared/seed") == "seeded-by-job\n"
    assert teu.inspect("seed-pod-seed")["State"]["ExitCode"] == 0
    # Deployment: 3 replicas, each answering with its own name (pod names resolve on
    # the teu-kube network); the Service's name and NodePort answer too.
    answers = {teu.ok("exec", "web-helper", "wget", "-qO-", f"http://api-pod-{i}:8000/")
               for i in range(3)}
    assert answers == {"api-pod-0\n", "api-pod-1\n", "api-pod-2\n"}
    # The Service's port 80 is its pods' targetPort 8000 (redirected in each pod).
    assert teu.ok("exec", "web-helper", "wget", "-qO-", "http://api:80/") in answers
    assert teu.ok("exec", "api-pod-1-api", "wget", "-qO-", "http://api:80/") in answers
    # The NodePort and the Deployment's hostPort are spread over the 3 replicas: three
    # connections in a row reach all three (numgen inc), from the host's 127.0.0.1
    # and from its address on the kube network.
    assert wait_for(lambda: curl(teu, "http://127.0.0.1:30080/") in answers)
    gateway = teu.inspect(infra)["NetworkSettings"]["Networks"]["teu-kube"]["Gateway"]
    for url in ("http://127.0.0.1:30080/", f"http://{gateway}:8001/"):
        assert {curl(teu, url) for _ in range(3)} == answers, url
    # A later `run -p` on a spread port is refused, as on any published port.
    late = teu("run", "-d", "--name", "late", "-p", "30080:80", IMAGE, "sleep", "60")
    assert late.returncode == 125 and "30080" in late.stderr, late.stderr
    assert "allocated (by kube play" in late.stderr, late.stderr
    teu.ok("rm", "-f", "late")
    # A second play wanting the same host port fails and leaves nothing of itself.
    other = tmp_path / "other.yaml"
    other.write_text(f"""
apiVersion: v1
kind: Pod
metadata: {{name: clash}}
spec:
  containers:
  - {{name: c, image: {IMAGE}, command: [sleep, "60"], ports: [{{containerPort: 1,
       hostPort: 8080}}]}}
""")
    before = teu.rows()
    out = teu("kube", "play", str(other))
    assert out.returncode == 125 and "8080" in out.stderr and "allocated" in out.stderr
    assert teu.rows() == before and "clash" not in teu.ok("pod", "ls")
    # The same for a hostPort spread over replicas: refused, all of it undone.
    other.write_text(f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: spread}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: spread}}}}
  template:
    metadata: {{labels: {{app: spread}}}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - {{name: c, image: {IMAGE}, command: [sleep, "60"], ports: [{{containerPort: 1,
           hostPort: 8080}}]}}
""")
    out = teu("kube", "play", str(other))
    assert out.returncode == 125 and "host port 8080/TCP is already allocated" in out.stderr
    assert teu.rows() == before and "spread" not in teu.ok("pod", "ls")
    # kube down: exactly what play made goes (the pre-existing volume stays).
    teu.ok("volume", "create", "keep")
    out = teu.ok("kube", "down", str(app), timeout=120)
    assert "Pods removed:" in out and "shared" in out
    assert "Ports removed:\n30080/tcp" in out or "8001/tcp\n30080/tcp" in out, out
    assert teu.host.run("nft", "list", "table", "ip", "teu_kube", check=False).returncode
    assert curl(teu, "http://127.0.0.1:30080/") == ""
    assert teu.rows() == [] and teu.ok("pod", "ls", "-q") == ""
    assert teu.ok("volume", "ls", "-q").split() == ["keep"]


@pytest.fixture
def plain(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


POD = """
apiVersion: v1
kind: Pod
metadata: {name: NAME}
spec:
  terminationGracePeriodSeconds: 0  # sleep as PID 1 ignores SIGTERM: no 5 s wait in down
  containers:
  - name: c
    image: IMAGE
    command: [sleep, "60"]
    VOLUMES
"""


def _pod(name: str = "p", image: str = IMAGE, volumes: str = "") -> str:
    return POD.replace("NAME", name).replace("IMAGE", image).replace("VOLUMES", volumes)


def test_play_bad_input_leaves_nothing(plain, tmp_path) -> None:  # noqa: ANN001
    f = tmp_path / "m.yaml"

    def play(text: str, *flags: str):  # noqa: ANN202
        f.write_text(text)
        return plain("kube", "play", *flags, str(f))

    out = play("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n")
    assert out.returncode == 125 and f"{f}:5:1: invalid YAML" in out.stderr
    out = play(_pod("Bad_Name"))
    assert out.returncode == 125 and f"{f}:2: Pod name 'Bad_Name' is not valid" in out.stderr
    out = play(_pod(volumes="volumeMounts: [{name: v, mountPath: /v}]\n  volumes: [{name: v, "
                    "persistentVolumeClaim: {claimName: nope}}]"))
    assert out.returncode == 125 and "PersistentVolumeClaim 'nope' not found" in out.stderr
    # An unpullable image among good ones: nothing at all is made.
    out = play(_pod("good") + "---\n" + _pod("bad", "127.0.0.1:9/nope:1"))
    assert out.returncode == 125 and "image 127.0.0.1:9/nope:1" in out.stderr
    ports = "ports: [{containerPort: 80, hostPort: 8081}]"
    out = play(_pod("a", volumes=ports) + "---\n" + _pod("b", volumes=ports))
    assert out.returncode == 125 and "port conflict: host port 8081/TCP" in out.stderr
    out = play("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: []}\n")
    assert out.returncode == 125 and "at least one container" in out.stderr
    assert plain.rows() == [] and plain.ok("pod", "ls", "-q") == ""
    assert plain.ok("volume", "ls", "-q") == ""
    # --start=false creates; --replace makes it again; unknown fields are warnings.
    out = play(_pod(volumes="stdinOnce: true"), "--start=false")
    assert out.returncode == 0, out.stderr
    assert "field stdinOnce is not supported: ignored" in out.stderr
    state = json.loads(plain.ok("pod", "inspect", "p"))[0]["State"]
    assert state == "Created"
    first = plain.inspect("p-c")["Id"]
    assert play(_pod(), "--replace", "--network", "none").returncode == 0
    assert plain.inspect("p-c")["Id"] != first and plain.inspect("p-c")["State"]["Running"]
    again = play(_pod())
    assert again.returncode == 125 and "pod p already exists" in again.stderr
    assert play(_pod(), "--down").returncode == 0
    assert plain.rows() == []
    # ConfigMaps from --configmap files; a failing Job is an error that keeps its logs.
    cm = tmp_path / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n"
                  "data: {MSG: from-file}\n")
    job = f"""
apiVersion: batch/v1
kind: Job
metadata: {{name: fail}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: {IMAGE}
        command: [sh, -c, 'echo $MSG; exit 3']
        envFrom: [{{configMapRef: {{name: extra}}}}]
"""
    out = play(job, "--configmap", str(cm))
    assert out.returncode == 125 and "Job fail failed" in out.stderr and "exited with 3" \
        in out.stderr
    assert plain.ok("logs", "fail-pod-c") == "from-file\n"
    plain.ok("kube", "down", str(f))
    assert plain.rows() == []
    # From stdin, with --build: the image is built from the directory named after it.
    ctx = tmp_path / "built"
    ctx.mkdir()
    (ctx / "Containerfile").write_text(f"FROM {IMAGE}\nRUN echo built-here > /built\n")
    text = _pod("b", "localhost/built:1")
    out = plain("kube", "play", "--build", "-", input=text, cwd=tmp_path, timeout=180)
    assert out.returncode == 0, out.stderr
    assert "Built: localhost/built:1" in out.stdout
    assert plain.ok("exec", "b-c", "cat", "/built") == "built-here\n"
    plain.ok("kube", "down", "-", input=text)
    assert plain.rows() == []


@pytest.mark.parametrize("delay", [0.5])
def test_kill_9_during_play_then_down(plain, tmp_path, delay) -> None:  # noqa: ANN001
    """A play killed anywhere leaves a store the next commands work with: `kube down`
    removes what it had made, and the same play then succeeds."""
    import signal
    import subprocess
    import time

    f = tmp_path / "d.yaml"
    f.write_text(f"""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: vol}}
spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: many}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: many}}}}
  template:
    metadata: {{labels: {{app: many}}}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: c
        image: {IMAGE}
        command: [sleep, "300"]
        volumeMounts: [{{name: v, mountPath: /v}}, {{name: e, mountPath: /e}}]
      volumes: [{{name: v, persistentVolumeClaim: {{claimName: vol}}}}, {{name: e,
                 emptyDir: {{}}}}]
""")
    p = subprocess.Popen(plain.cmd("kube", "play", str(f)), env=plain.env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    out = plain("kube", "down", str(f), timeout=120)
    assert out.returncode == 0, out.stderr
    assert plain.ok("pod", "ls", "-q") == "" and plain.rows() == []
    assert plain.ok("volume", "ls", "-q") == ""
    out = plain("kube", "play", str(f), timeout=120)
    assert out.returncode == 0, out.stderr
    assert plain.ok("pod", "ls", "--format", "{{.Status}}").split() == ["Running"] * 3
    plain.ok("kube", "down", str(f), timeout=120)
    assert plain.rows() == []
