"""Lint rules over Kubernetes manifests: every container of a Pod or of a workload's Pod
template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob)."""

from __future__ import annotations

from typing import Any

from teu.scan.errors import ScanError
from teu.scan.lint.container import ContainerSpec, check
from teu.scan.lint.findings import LintFinding

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
             "ReplicationController"}


def pod_spec(doc: dict) -> dict | None:
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in WORKLOADS:
        return (spec.get("template") or {}).get("spec")
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
                or {}).get("spec")
    return None


def _user(pod_sc: dict, sc: dict) -> str | None:
    uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
    if uid is not None:
        return str(uid)
    if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")):
        return "non-root"
    return None


def container_spec(where: str, pod: dict, c: dict) -> ContainerSpec:
    pod_sc = pod.get("securityContext") or {}
    sc = c.get("securityContext") or {}
    limits = (c.get("resources") or {}).get("limits") or {}
    hosts = [ns for key, ns in (("hostNetwork", "network"), ("hostPID", "pid"),
                                ("hostIPC", "ipc")) if pod.get(key)]
    env = {str(e.get("name")): str(e.get("value")) for e in c.get("env") or []
           if isinstance(e, dict) and e.get("value") is not None}
    return ContainerSpec(
        where=f"{where} container {c.get('name', '?')}", image=str(c.get("image", "")),
        user=_user(pod_sc, sc), memory_limit=bool(limits.get("memory")),
        cpu_limit=bool(limits.get("cpu")), pids_limit=None,
        privileged=bool(sc.get("privileged")),
        cap_add=[str(x) for x in (sc.get("capabilities") or {}).get("add") or []],
        host_namespaces=hosts, read_only=bool(sc.get("readOnlyRootFilesystem")),
        ports=[str(p.get("containerPort")) for p in c.get("ports") or [] if isinstance(p, dict)],
        env=env, healthcheck=bool(c.get("livenessProbe") or c.get("readinessProbe")))


def lint_manifests(text: str, file: str) -> list[LintFinding]:
    import yaml

    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ScanError(f"{file}{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    out: list[LintFinding] = []
    seen = 0
    for doc in _flatten(docs):
        pod = pod_spec(doc)
        if pod is None:
            continue
        seen += 1
        where = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name', '?')}"
        for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            if isinstance(c, dict):
                out += check(container_spec(where, pod, c), file)
    if not seen:
        raise ScanError(f"{file}: no Pod or workload manifest in it")
    return out


def _flatten(docs: list[Any]) -> list[dict]:
    out = []
    for d in docs:
        if isinstance(d, dict) and d.get("kind") == "List":
            out += [i for i in d.get("items") or [] if isinstance(i, dict)]
        elif isinstance(d, dict):
            out.append(d)
    return out


def looks_like_manifest(text: str) -> bool:
    return "apiVersion:" in text and "kind:" in text
