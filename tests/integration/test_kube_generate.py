"""`teu kube generate` of containers, a pod and the compose tests' projects: every
output passes kubernetes-validate --strict for Kubernetes 1.30 and 1.32 and teu's own
name/port/selector checks; the mappings (Service only with ports, PVC, Secret, probes,
resources, securityContext, names converted with a note, digests) are there."""

from __future__ import annotations

import json

import pytest
import yaml
from tests.integration.engine_helpers import IMAGE, private_teu
from tests.integration.net_helpers import host_teu
from tests.integration.registry_helpers import RegistryServer
from tests.integration.test_compose_config import PROJECTS

from teu.kube import check

pytestmark = pytest.mark.root
VERSIONS = ("1.30", "1.32")


def validate(text: str) -> list[dict]:
    """Every document valid for both versions (strict) and by teu's checks."""
    import kubernetes_validate

    docs = [d for d in yaml.safe_load_all(text) if d]
    for doc in docs:
        for v in VERSIONS:
            kubernetes_validate.validate(doc, v, strict=True)  # raises ValidationError
    assert check.problems(docs) == []
    return docs


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def test_generate_containers_and_pod(teu, tmp_path) -> None:  # noqa: ANN001
    token = tmp_path / "token.txt"
    token.write_text("s3cret\n")
    teu.ok("run", "-d", "--name", "Web_1", "-p", "127.0.0.1:8080:80", "-v", "site:/www",
           "-e", "MODE=prod", "--memory", "64m", "--cpus", "0.5", "--user", "1000:1000",
           "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--read-only",
           "--security-opt", "no-new-privileges", "--tmpfs", "/tmp", "--restart", "always",
           "--health-cmd", "wget -qO- http://127.0.0.1/", "--health-interval", "5s",
           "--secret", f"src={token},target=token", "--entrypoint", "httpd",
           IMAGE, "-f", "-p", "80", "-h", "/www")
    out = teu("kube", "generate", "Web_1")
    assert out.returncode == 0, out.stderr
    assert "'Web_1' is not a valid Kubernetes name (RFC 1123): written as 'web-1'" in out.stderr
    docs = validate(out.stdout)
    assert [d["kind"] for d in docs] == ["PersistentVolumeClaim", "Secret", "Pod", "Service"]
    pod = by_kind(docs, "Pod")[0]
    c = pod["spec"]["containers"][0]
    assert c["name"] == "web-1" and c["command"] == ["httpd"]
    assert c["args"] == ["-f", "-p", "80", "-h", "/www"]
    assert {"name": "MODE", "value": "prod"} in c["env"]
    assert c["ports"] == [{"containerPort": 80, "hostPort": 8080, "hostIP": "127.0.0.1",
                           "protocol": "TCP"}]
    assert c["resources"] == {"limits": {"memory": "64Mi", "cpu": "500m"}}
    assert c["securityContext"] == {
        "runAsUser": 1000, "runAsGroup": 1000,
        "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
        "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}
    assert c["livenessProbe"]["exec"]["command"][-1] == "wget -qO- http://127.0.0.1/"
    assert c["readinessProbe"]["periodSeconds"] == 5
    assert pod["spec"]["restartPolicy"] == "Always"
    vols = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert vols["site"]["persistentVolumeClaim"]["claimName"] == "site"
    assert vols["tmpfs-tmp"]["emptyDir"] == {"medium": "Memory"}
    assert by_kind(docs, "Secret")[0]["data"] == {"token": "czNjcmV0Cg=="}
    svc = by_kind(docs, "Service")[0]
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["ports"][0]["port"] == 8080
    # A container without ports: no Service; -s: NodePort; deployment with replicas.
    teu.ok("run", "-d", "--name", "quiet", IMAGE, "sleep", "300")
    docs = validate(teu.ok("kube", "generate", "quiet"))
    assert [d["kind"] for d in docs] == ["Pod"]
    assert docs[0]["spec"]["containers"][0]["args"] == ["sleep", "300"]
    out = teu.ok("kube", "generate", "-s", "--type", "deployment", "--replicas", "3", "Web_1")
    docs = validate(out)
    assert by_kind(docs, "Deployment")[0]["spec"]["replicas"] == 3
    assert by_kind(docs, "Service")[0]["spec"]["type"] == "NodePort"
    # A pod: its members, the pod's published port on the member listening, -f OUT.
    teu.ok("pod", "create", "--name", "shop", "-p", "8090:80")
    teu.ok("run", "-d", "--pod", "shop", "--name", "front", IMAGE, "httpd", "-f", "-p", "80")
    teu.ok("run", "-d", "--pod", "shop", "--name", "side", IMAGE, "sleep", "300")
    dest = tmp_path / "shop.yaml"
    teu.ok("kube", "generate", "shop", "-f", str(dest))
    docs = validate(dest.read_text())
    pod = by_kind(docs, "Pod")[0]
    assert pod["metadata"]["name"] == "shop"
    assert [c["name"] for c in pod["spec"]["containers"]] == ["front", "side"]
    assert pod["spec"]["containers"][0]["ports"][0]["hostPort"] == 8090
    assert by_kind(docs, "Service")[0]["spec"]["selector"] == {"app": "shop"}
    bad = teu("kube", "generate", "nothing-here")
    assert bad.returncode == 125 and "no such container or pod" in bad.stderr


def _write(root, files: dict[str, str]) -> None:  # noqa: ANN001
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_generate_compose_projects(project, tmp_path) -> None:  # noqa: ANN001
    from tests.integration.engine_helpers import Teu

    proj = tmp_path / project
    _write(proj, PROJECTS[project])
    (proj / "token.txt").write_text("tok\n")
    t = Teu(tmp_path)
    env = {**t.env, "WEB_PORT": "8080"}
    for kind in ("pod", "deployment"):
        out = t("kube", "generate", "--compose", str(proj / "compose.yaml"), "--type", kind,
                env=env, cwd=proj)
        assert out.returncode == 0, out.stderr
        docs = validate(out.stdout)
        workloads = by_kind(docs, kind.capitalize())
        assert workloads
        for svc in by_kind(docs, "Service"):  # only for workloads with ports
            assert svc["spec"]["ports"]
    if project == "shop":
        assert "build: is not written" in out.stderr and "depends_on (api)" in out.stderr
        web = next(w for w in by_kind(docs, "Deployment") if w["metadata"]["name"] == "web")
        c = web["spec"]["template"]["spec"]["containers"][0]
        assert c["envFrom"] == [{"configMapRef": {"name": "web-env"}}]
        maps = {m["metadata"]["name"]: m["data"] for m in by_kind(docs, "ConfigMap")}
        assert maps["web-env"] == {"FROM_FILE": "yes", "QUOTED": "a b"}
        assert maps["api-env"]["QUOTED"] == '"a b"'  # api reads web.env with format: raw
        assert c["livenessProbe"]["periodSeconds"] == 90
        api = next(w for w in by_kind(docs, "Deployment") if w["metadata"]["name"] == "api")
        res = api["spec"]["template"]["spec"]["containers"][0]["resources"]
        assert res == {"limits": {"memory": "64Mi", "cpu": "500m"}}
        assert "pids limit cannot be expressed" in out.stderr
        assert {d["metadata"]["name"] for d in by_kind(docs, "PersistentVolumeClaim")} == \
            {"shop-static"}


@pytest.fixture
def plain(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def test_generate_pins_pulled_images_by_digest(plain, tmp_path) -> None:  # noqa: ANN001
    reg = RegistryServer(tmp_path / "registry", tmp_path / "registry.log").start()
    try:
        ref = f"{reg.host}/lib/busybox:1"
        plain.ok("tag", IMAGE, ref)
        plain.ok("push", ref)
        plain.ok("rmi", ref)
        plain.ok("pull", ref)
        plain.ok("create", "--name", "pinned", ref, "true")
        docs = validate(plain.ok("kube", "generate", "pinned"))
        image = docs[0]["spec"]["containers"][0]["image"]
        digest = plain.inspect(ref)["RepoDigests"][0].split("@")[1]
        assert image == f"{reg.host}/lib/busybox@{digest}"
    finally:
        reg.stop()


@pytest.mark.peer
def test_generated_yaml_plays_in_podman(plain, tmp_path) -> None:  # noqa: ANN001
    """podman 4.3's `kube play` (private roots, runc, --network none) runs what teu
    generated from a pod (one container: its env, volume, memory limit and command),
    and teu plays podman's `kube generate` of that pod: one small manifest each way.
    The commands trap SIGTERM, so neither engine waits out a stop timeout."""
    from tests.integration.podman_helpers import Podman

    plain.ok("pod", "create", "--name", "duo")
    plain.ok("create", "--pod", "duo", "--name", "one", "-e", "WHO=one", "-v", "store:/store",
             "--memory", "32m", IMAGE, "sh", "-c",
             "echo $WHO > /store/who; trap 'exit 0' TERM; sleep 300 & wait")
    text = plain.ok("kube", "generate", "duo").replace(f"image: {IMAGE}\n",
                                                      "image: docker.io/library/busybox:latest\n")
    (tmp_path / "duo.yaml").write_text(text)
    plain.ok("save", "-o", str(tmp_path / "bb.tar"), IMAGE)
    plain.ok("pod", "rm", "-f", "duo")
    pm = Podman(tmp_path)
    try:
        pm("load", "-i", str(tmp_path / "bb.tar"))
        pm("kube", "play", "--network", "none", str(tmp_path / "duo.yaml"))
        assert pm("exec", "duo-one", "cat", "/store/who") == "one\n"
        info = json.loads(pm("inspect", "duo-one"))[0]
        assert info["State"]["Running"] and info["HostConfig"]["Memory"] == 32 << 20
        # And back: podman's own kube generate of that pod plays in teu.
        (tmp_path / "back.yaml").write_text(pm("kube", "generate", "duo"))
    finally:
        pm.close()
    out = plain("kube", "play", str(tmp_path / "back.yaml"))
    assert out.returncode == 0, out.stderr
    assert "not supported" not in out.stderr
    # podman named its container POD-NAME, and writes that name: teu prefixes again.
    assert plain.ok("exec", "duo-duo-one", "cat", "/store/who") == "one\n"
    assert plain.inspect("duo-duo-one")["HostConfig"]["Memory"] == 32 << 20
    plain.ok("kube", "down", str(tmp_path / "back.yaml"))
