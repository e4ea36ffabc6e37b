"""teu.kube's pure parts: name rules and conversions, ENTRYPOINT/CMD -> command/args by
Kubernetes' rules, quantities, probes, security contexts, and teu's manifest checks."""

from __future__ import annotations

from teu.kube import check, convert, generate, names
from teu.kube.model import Container, Mount, Port, Probe, Project, Workload


def test_names() -> None:
    assert names.to_label("Web_App.1") == "web-app-1"
    assert names.to_label("__x__") == "x"
    assert names.to_label("9lives", service=True) == "s-9lives"
    assert len(names.to_label("a" * 80)) == 63
    assert names.is_label("web-1") and not names.is_label("Web") and not names.is_label("-a")
    assert names.is_subdomain("a.b-c") and not names.is_subdomain("a_b")
    assert names.is_1035_label("web") and not names.is_1035_label("1web")
    assert names.is_port_name("tcp-80") and not names.is_port_name("80")
    assert not names.is_port_name("a--b") and not names.is_port_name("x" * 16)
    said = []
    namer = names.Namer(said.append)
    assert namer("My_Svc", "service") == "my-svc" and namer("My_Svc", "service") == "my-svc"
    assert len(said) == 1 and "'My_Svc'" in said[0] and "RFC 1123" in said[0]


def test_command_args_follow_kubernetes_rules() -> None:
    ep, cmd = ["/entry"], ["serve"]
    assert convert.command_args(ep, cmd, ep, cmd) == (None, None)  # all the image's
    assert convert.command_args(ep, ["other"], ep, cmd) == (None, ["other"])  # args only
    # A new entrypoint is command; Kubernetes then drops the image's CMD, so args are
    # written only when the container has its own.
    assert convert.command_args(["/new"], ["x"], ep, cmd) == (["/new"], ["x"])
    assert convert.command_args(["/new"], None, ep, cmd) == (["/new"], None)
    # --entrypoint "": the command line runs alone.
    assert convert.command_args([], ["sh", "-c", "x"], ep, cmd) == (["sh", "-c", "x"], None)


def test_quantities_probes_security() -> None:
    assert convert.memory(64 << 20) == "64Mi" and convert.memory(1 << 30) == "1Gi"
    assert convert.memory(1000) == "1000"
    assert convert.cpus(500_000_000) == "500m" and convert.cpus(2_000_000_000) == "2"
    notes: list[str] = []
    p = convert.probe(["CMD-SHELL", "wget -q localhost"], 5_000_000_000, 0, 0, 0,
                      notes.append, "x")
    assert p == Probe(["/bin/sh", "-c", "wget -q localhost"], 5, 30, 3, 0)
    assert convert.probe(["NONE"], 0, 0, 0, 0, notes.append, "x") is None
    ctx = convert.security_context("1000:50", ["net_admin"], ["CAP_ALL"], True, False,
                                   ["no-new-privileges:true", "seccomp=unconfined"],
                                   notes.append, "x")
    assert ctx == {"runAsUser": 1000, "runAsGroup": 50,
                   "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
                   "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                   "seccompProfile": {"type": "Unconfined"}}
    assert convert.security_context("www", [], [], False, False, [], notes.append, "x") == {}
    assert any("'www' is a name" in n for n in notes)
    assert convert.restart_policy("on-failure:3", notes.append, "x") == "OnFailure"
    assert convert.restart_policy("", notes.append, "x") == ""


def _project() -> Project:
    c = Container("web", "busybox", args=["httpd"], env={"A": "1", "bad name": "x"},
                  ports=[Port(80, 8080), Port(53, 0, "UDP")],
                  mounts=[Mount("pvc", "data", "/data"), Mount("tmpfs", "", "/tmp")],
                  probe=Probe(["true"], 5, 2, 3, 10))
    return Project([Workload("web", [c], replicas=3, restart="OnFailure")], ["data"])


def test_documents_and_checks() -> None:
    notes: list[str] = []
    docs = generate.documents(_project(), "deployment", "NodePort", notes.append)
    kinds = [d["kind"] for d in docs]
    assert kinds == ["PersistentVolumeClaim", "Deployment", "Service"]
    dep, svc = docs[1], docs[2]
    assert dep["spec"]["replicas"] == 3
    spec = dep["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Always" and any("OnFailure" in n for n in notes)
    ctr = spec["containers"][0]
    assert ctr["env"] == [{"name": "A", "value": "1"}] and any("'bad name'" in n for n in notes)
    assert ctr["startupProbe"]["failureThreshold"] == 5  # 10 s start period at 5 s + 3
    assert [p["name"] for p in svc["spec"]["ports"]] == ["tcp-8080", "udp-53"]
    assert "nodePort" not in svc["spec"]["ports"][0]  # 8080: outside 30000-32767
    assert check.problems(docs) == []
    # No ports, no Service.
    p = _project()
    p.workloads[0].containers[0].ports = []
    assert [d["kind"] for d in generate.documents(p)] == ["PersistentVolumeClaim", "Pod"]


def test_checks_find_what_schemas_miss() -> None:
    docs = generate.documents(_project(), "deployment")
    docs[1]["metadata"]["name"] = "Web_1"
    docs[1]["spec"]["selector"]["matchLabels"] = {"app": "other"}
    docs[1]["spec"]["template"]["spec"]["containers"][0]["name"] = "Web"
    docs[2]["spec"]["ports"].append(dict(docs[2]["spec"]["ports"][0]))
    empty = {"kind": "Service", "metadata": {"name": "empty"}, "spec": {"selector": {"x": "y"}}}
    found = check.problems([*docs, empty])
    text = "\n".join(found)
    assert "Deployment 'Web_1': name is not an RFC 1123 subdomain" in text
    assert "does not match its template's labels" in text
    assert "container name 'Web' is not an RFC 1123 label" in text
    assert "port 8080/TCP twice" in text
    assert "Service 'empty': has no ports" in text and "selects no pod" in text


def test_podspec_translation() -> None:
    import pytest

    from teu.kube.errors import KubeError
    from teu.kube.podspec import Objects, pod_plan, quantity

    assert quantity("64Mi", "x") == 64 << 20 and quantity("500m", "x") == 0.5
    assert quantity("1G", "x") == 1e9 and quantity(2, "x") == 2
    with pytest.raises(KubeError):
        quantity("lots", "limits.memory")
    objects = Objects({"cfg": {"A": b"1", "f.txt": b"hi"}}, {"sec": {"pw": b"x"}}, {"data"})
    warned: list[str] = []
    spec = {
        "hostname": "h1", "restartPolicy": "OnFailure", "nodeSelector": {"a": "b"},
        "securityContext": {"runAsUser": 1000, "supplementalGroups": [5]},
        "containers": [{
            "name": "c", "image": "busybox", "command": ["sh"], "args": ["-c", "x"],
            "env": [{"name": "B", "value": "2"},
                    {"name": "P", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "pw"}}},
                    {"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "X_"}],
            "ports": [{"containerPort": 80, "hostPort": 8080, "hostIP": "127.0.0.1"}],
            "resources": {"limits": {"memory": "64Mi", "cpu": "250m"},
                          "requests": {"cpu": "1"}},
            "securityContext": {"capabilities": {"drop": ["ALL"]},
                                "allowPrivilegeEscalation": False},
            "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 3},
            "livenessProbe": {"httpGet": {"path": "h", "port": 80, "httpHeaders": [
                {"name": "X-A", "value": "b"}]}, "failureThreshold": 2, "timeoutSeconds": 3},
            "startupProbe": {"tcpSocket": {"port": 80}, "initialDelaySeconds": 4},
            "volumeMounts": [{"name": "d", "mountPath": "/d"},
                             {"name": "m", "mountPath": "/m"},
                             {"name": "f", "mountPath": "/etc/f.txt", "subPath": "f.txt"}]}],
        "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}},
                    {"name": "m", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                    {"name": "f", "configMap": {"name": "cfg"}}],
    }
    p = pod_plan("pod1", "Pod/pod1", "Pod", {"labels": {"app": "x"}}, spec, objects,
                 "/files", "m.yaml:1", warned.append)
    assert p.hostname == "h1" and p.restart == "OnFailure" and p.labels == {"app": "x"}
    assert p.publish == ["127.0.0.1:8080:80/tcp"]
    c = p.containers[0]
    assert c["name"] == "pod1-c" and c["entrypoint"] == ["sh"] and c["command"] == ["-c", "x"]
    assert c["env"] == ["X_A=1", "X_f.txt=hi", "B=2", "P=x", "N=pod1"]
    assert c["memory"] == str(64 << 20) and c["cpus"] == "0.25" and c["cpu_shares"] == "1024"
    assert c["user"] == "1000" and c["group_add"] == ["5"]
    assert c["cap_drop"] == ["ALL"] and c["security_opt"] == ["no-new-privileges"]
    assert c["no_healthcheck"] and "health_cmd" not in c
    probes = {d["kind"]: d for d in p.probes}
    assert probes["readiness"] == {**probes["readiness"], "container": "pod1-c",
                                   "action": "exec", "command": ["true"], "period": 3,
                                   "timeout": 1, "failure_threshold": 3}
    assert probes["liveness"] == {**probes["liveness"], "action": "http", "port": 80,
                                  "path": "/h", "headers": [["X-A", "b"]], "timeout": 3,
                                  "failure_threshold": 2, "period": 10}
    assert probes["startup"] == {**probes["startup"], "action": "tcp", "port": 80,
                                 "initial_delay": 4}
    assert c["tmpfs"] == [f"/m:rw,size={1 << 20}"]
    assert c["volume"][0] == {"kind": "volume", "source": "data", "target": "/d", "ro": False,
                              "sub": "", "create": False}
    assert c["volume"][1]["source"] == "/files/f" and c["volume"][1]["sub"] == "f.txt"
    assert ("/files/f/f.txt", b"hi", 0o644) in p.files
    text = "\n".join(warned)
    assert "field nodeSelector is not supported" in text
    for probe, error in (({"httpGet": {"path": "/"}}, "port None must be a number"),
                         ({"tcpSocket": {"port": "web"}}, "'web' names no port"),
                         ({"exec": {"command": ["x"]}, "tcpSocket": {"port": 1}},
                          "exactly one of exec, httpGet"),
                         ({"exec": {"command": ["x"]}, "successThreshold": 2},
                          "successThreshold must be 1"),
                         ({"exec": {"command": ["x"]}, "periodSeconds": 0},
                          "periodSeconds 0 must be")):
        with pytest.raises(KubeError, match=error):
            pod_plan("p", "Pod/p", "Pod", {}, {"containers": [
                {"name": "c", "image": "i", "livenessProbe": probe}]}, objects, "/f", "w",
                warned.append)
    with pytest.raises(KubeError, match="Secret 'nope' key 'k' not found"):
        pod_plan("p", "Pod/p", "Pod", {}, {"containers": [{"name": "c", "image": "i", "env": [
            {"name": "E", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]}]},
            objects, "/f", "w", warned.append)
    with pytest.raises(KubeError, match="no volume named 'x'"):
        pod_plan("p", "Pod/p", "Pod", {}, {"containers": [{"name": "c", "image": "i",
                                                           "volumeMounts": [{"name": "x",
                                                                             "mountPath": "/x"}]}]},
                 objects, "/f", "w", warned.append)


def test_compose_service_mapping() -> None:
    from teu.kube.from_compose import from_compose

    class Loaded:
        model = {"name": "p", "volumes": {"data": {"name": "p_data"}}, "services": {}}
        services = {"db_1": {"image": "busybox", "expose": ["5432", "7000-7001/udp"],
                             "entrypoint": ["/e"], "command": ["run"],
                             "volumes": [{"type": "volume", "source": "data",
                                          "target": "/var/lib"}],
                             "depends_on": {"x": {}}, "sysctls": {"a": "1"},
                             "restart": "always"}}
        env_files = {"db_1": [("/x/db.env", {"A": "1"})]}

    notes: list[str] = []
    p = from_compose(Loaded(), notes.append)
    w = p.workloads[0]
    c = w.containers[0]
    assert (w.name, c.name, w.restart) == ("db-1", "db-1", "Always")
    assert (c.command, c.args) == (["/e"], ["run"])
    assert [(x.container_port, x.host_port, x.protocol) for x in c.ports] == [
        (5432, 0, "TCP"), (7000, 0, "UDP"), (7001, 0, "UDP")]
    assert p.claims == ["p-data"] and c.mounts[0].source == "p-data"
    assert p.config_maps == {"db-1-env": {"A": "1"}} and c.env_from == ["db-1-env"]
    text = "\n".join(notes)
    assert "depends_on (x) cannot be expressed" in text
    assert "sysctls cannot be expressed: dropped" in text
    docs = __import__("teu.kube.generate", fromlist=["x"]).documents(p)
    svc = [d for d in docs if d["kind"] == "Service"][0]
    assert [x["port"] for x in svc["spec"]["ports"]] == [5432, 7000, 7001]


def test_manifest_parse() -> None:
    import pytest

    from teu.kube.errors import KubeError
    from teu.kube.manifest import parse

    docs = parse("---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n---\n"
                 "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, "
                 "metadata: {name: s}}\n", "f.yaml")
    assert [(d.kind, d.name, d.line) for d in docs] == [("Pod", "a", 2), ("Secret", "s", 7)]
    for text, message in (("a: [1\n", "f.yaml:2:1: invalid YAML"),
                          ("- 1\n", "f.yaml:1: a document must be a mapping"),
                          ("kind: Pod\n", "f.yaml:1: the document has no apiVersion"),
                          ("apiVersion: v1\nkind: Pod\nkind: Job\n",
                           "f.yaml:3:1: invalid YAML: mapping key 'kind' already set on "
                           "line 2")):
        with pytest.raises(KubeError, match=message):
            parse(text, "f.yaml")


def test_variable_references_in_command_and_args() -> None:
    from teu.kube.podspec import expand

    env = {"A": "1", "PORT": "8080"}
    assert expand("serve --port=$(PORT)", env) == "serve --port=8080"
    assert expand("$$(PORT) $(NOPE) $A", env) == "$(PORT) $(NOPE) $A"
    assert expand("$(A)$(A)", env) == "11"


def test_services_and_replica_ports_plan() -> None:
    """A Deployment's hostPort and a NodePort selecting several replicas are spread
    over them (not published on one pod); a Service port != targetPort is redirected in
    each selected pod; the nft scripts say so."""
    import pytest

    from teu.kube.errors import KubeError
    from teu.kube.manifest import parse
    from teu.kube.play import plan
    from teu.network import service_nat

    text = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: c, image: i, ports: [{containerPort: 8000, hostPort: 8001, name: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  type: NodePort
  selector: {app: api}
  ports: [{port: 80, targetPort: http, nodePort: 30080}]
"""
    docs = parse(text, "m.yaml")
    warned: list[str] = []
    p = plan(docs, "/root", warned.append, set())
    assert [x.name for x in p.pods] == ["api-pod-0", "api-pod-1"]
    assert all(x.publish == [] and x.host_ports == [] for x in p.pods)
    assert all(x.service_ports == [("tcp", 80, 8000)] for x in p.pods)
    spread = {(b.owner, b.port, b.target, tuple(b.pods)) for b in p.balanced}
    assert spread == {("Deployment/api", 8001, 8000, ("api-pod-0", "api-pod-1")),
                      ("Service/api", 30080, 8000, ("api-pod-0", "api-pod-1"))}
    script = service_nat.balance_script("TCP", 30080, [("10.0.0.2", 8000), ("10.0.0.3", 8000)])
    assert "dnat to numgen inc mod 2 map { 0 : 10.0.0.2 . 8000, 1 : 10.0.0.3 . 8000 }" in script
    assert "add element ip teu_kube lb { tcp . 30080 : jump lb-tcp-30080 }" in script
    pod = service_nat.pod_script(["10.0.0.2"], [("tcp", 80, 8000)])
    assert "add rule ip teu_service pre ip daddr 10.0.0.2 tcp dport 80 dnat to 10.0.0.2:8000" \
        in pod
    # Two objects wanting one host port is a conflict, spread or not.
    with pytest.raises(KubeError, match="port conflict: host port 8001/TCP"):
        plan(docs + parse("apiVersion: v1\nkind: Pod\nmetadata: {name: solo}\nspec: "
                          "{containers: [{name: c, image: i, ports: [{containerPort: 1, "
                          "hostPort: 8001}]}]}\n", "n.yaml"), "/root", warned.append, set())
