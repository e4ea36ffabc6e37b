"""Workloads (teu.kube.model) -> Kubernetes documents: PersistentVolumeClaims,
ConfigMaps and Secrets first (what the pods need), then each workload as a Pod or a
Deployment, and a Service for each workload that has ports (ClusterIP, or NodePort)."""

from __future__ import annotations

import base64
import re

from teu.kube import convert
from teu.kube.model import Container, Project, Workload
from teu.kube.names import is_env_name, to_label

Note = convert.Note
APP = "app"  # the label that ties a Service and a Deployment to their pods
_ANNOTATION = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]"
                         r"{0,61}[A-Za-z0-9])?$")
STORAGE = "1Gi"  # the size requested by a generated PVC (a named volume has none)


def documents(project: Project, kind: str = "pod", service_type: str = "ClusterIP",
              note: Note = lambda _m: None) -> list[dict]:
    docs: list[dict] = []
    for claim in project.claims:
        docs.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                     "metadata": {"name": claim},
                     "spec": {"accessModes": ["ReadWriteOnce"],
                              "resources": {"requests": {"storage": STORAGE}}}})
    for name, data in project.config_maps.items():
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                     "data": dict(data)})
    for name, data in project.secrets.items():
        docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                     "type": "Opaque",
                     "data": {k: base64.b64encode(v).decode() for k, v in data.items()}})
    services = []
    for w in project.workloads:
        docs.append(_workload(w, kind, note))
        svc = _service(w, service_type, note)
        if svc is not None:
            services.append(svc)
    return docs + services


def _metadata(w: Workload, note: Note) -> dict:
    meta: dict = {"name": w.name, "labels": {APP: w.name}}
    annotations = {}
    for k, v in w.labels.items():
        if _ANNOTATION.match(k):
            annotations[k] = v
        else:
            note(f"{w.name}: label {k!r} is not a valid annotation key: dropped")
    if annotations:
        meta["annotations"] = annotations
    return meta


def _workload(w: Workload, kind: str, note: Note) -> dict:
    spec = _pod_spec(w, kind, note)
    meta = _metadata(w, note)
    if kind == "deployment":
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                "spec": {"replicas": w.replicas, "selector": {"matchLabels": {APP: w.name}},
                         "template": {"metadata": {"labels": {APP: w.name},
                                                   **({"annotations": meta["annotations"]}
                                                      if "annotations" in meta else {})},
                                      "spec": spec}}}
    if w.replicas > 1:
        note(f"{w.name}: {w.replicas} replicas: a Pod is one (use --type deployment)")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _pod_spec(w: Workload, kind: str, note: Note) -> dict:
    volumes: list[dict] = []
    names: dict[tuple, str] = {}

    def volume(m) -> str:  # noqa: ANN001 - a model.Mount
        key = (m.kind, m.source) if m.kind in ("pvc", "configMap", "secret", "hostPath") \
            else (m.kind, m.target)
        if key in names:
            return names[key]
        base = {"pvc": m.source, "configMap": m.source, "secret": m.source,
                "hostPath": "host-" + m.source, "emptyDir": "anon-" + m.target,
                "tmpfs": "tmpfs-" + m.target}[m.kind]
        vname = to_label(base)
        taken = set(names.values())
        n = 2
        while vname in taken:
            vname = to_label(f"{base}-{n}")
            n += 1
        names[key] = vname
        if m.kind == "pvc":
            source = {"persistentVolumeClaim": {"claimName": m.source}}
        elif m.kind == "configMap":
            source = {"configMap": {"name": m.source}}
        elif m.kind == "secret":
            source = {"secret": {"secretName": m.source}}
        elif m.kind == "hostPath":
            import os

            t = "Directory" if os.path.isdir(m.source) else (
                "File" if os.path.exists(m.source) else "DirectoryOrCreate")
            source = {"hostPath": {"path": m.source, "type": t}}
        elif m.kind == "tmpfs":
            source = {"emptyDir": {"medium": "Memory", **({"sizeLimit": m.size}
                                                          if m.size else {})}}
        else:
            source = {"emptyDir": {}}
        volumes.append({"name": vname, **source})
        return vname

    containers = [_container(c, volume, note) for c in w.containers]
    spec: dict = {"containers": containers}
    restart = w.restart or "Never"  # unset: docker's default, no restarts
    if kind == "deployment" and restart != "Always":
        if w.restart:
            note(f"{w.name}: restartPolicy {restart} is not allowed in a Deployment: Always "
                 "written (use --type pod to keep it)")
        restart = "Always"
    spec["restartPolicy"] = restart
    if w.hostname:
        spec["hostname"] = to_label(w.hostname)
    if volumes:
        spec["volumes"] = volumes
    return spec


def _container(c: Container, volume, note: Note) -> dict:  # noqa: ANN001
    out: dict = {"name": c.name, "image": c.image}
    if c.command is not None:
        out["command"] = c.command
    if c.args is not None:
        out["args"] = c.args
    env = []
    for k, v in c.env.items():
        if is_env_name(k):
            env.append({"name": k, "value": v})
        else:
            note(f"container {c.name}: environment variable {k!r} is not a valid name: "
                 "dropped")
    if env:
        out["env"] = env
    if c.env_from:
        out["envFrom"] = [{"configMapRef": {"name": n}} for n in c.env_from]
    ports = []
    seen = set()
    for p in c.ports:
        if (p.container_port, p.protocol) in seen:
            continue
        seen.add((p.container_port, p.protocol))
        entry: dict = {"containerPort": p.container_port}
        if p.host_port:
            entry["hostPort"] = p.host_port
        if p.host_ip:
            entry["hostIP"] = p.host_ip
        entry["protocol"] = p.protocol
        ports.append(entry)
    if ports:
        out["ports"] = ports
    mounts = []
    for m in c.mounts:
        vm: dict = {"name": volume(m), "mountPath": m.target}
        if m.read_only:
            vm["readOnly"] = True
        if m.sub_path:
            vm["subPath"] = m.sub_path
        mounts.append(vm)
    if mounts:
        out["volumeMounts"] = mounts
    if c.probes:
        out.update(c.probes)
    elif c.probe is not None:
        p = c.probe
        base = {"exec": {"command": p.command}, "periodSeconds": p.interval,
                "timeoutSeconds": p.timeout, "failureThreshold": p.retries}
        out["livenessProbe"] = dict(base)
        out["readinessProbe"] = dict(base)
        if p.start_period:
            out["startupProbe"] = {**base, "failureThreshold":
                                   max(p.retries, -(-p.start_period // p.interval) + p.retries)}
    if c.limits or c.requests:
        out["resources"] = {**({"limits": c.limits} if c.limits else {}),
                            **({"requests": c.requests} if c.requests else {})}
    if c.security:
        out["securityContext"] = c.security
    if c.workdir:
        out["workingDir"] = c.workdir
    if c.tty:
        out["tty"] = True
    if c.stdin:
        out["stdin"] = True
    return out


def _service(w: Workload, service_type: str, note: Note) -> dict | None:
    ports = []
    seen = set()
    for c in w.containers:
        for p in c.ports:
            port = p.host_port or p.container_port
            if (port, p.protocol) in seen:
                continue
            seen.add((port, p.protocol))
            entry: dict = {"name": f"{p.protocol.lower()}-{port}", "port": port,
                           "targetPort": p.container_port, "protocol": p.protocol}
            if service_type == "NodePort" and p.host_port:
                if 30000 <= p.host_port <= 32767:
                    entry["nodePort"] = p.host_port
                else:
                    note(f"{w.name}: host port {p.host_port} is outside the NodePort range "
                         "30000-32767: the cluster picks the node port")
            ports.append(entry)
    if not ports:
        return None
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": to_label(w.name, service=True), "labels": {APP: w.name}},
            "spec": {"type": service_type, "selector": {APP: w.name}, "ports": ports}}


def to_yaml(docs: list[dict]) -> str:
    import yaml

    from teu import __version__

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: object) -> bool:  # no &id001 anchors: plain YAML
            return True

    head = ("# Save the output of this file and use kubectl create -f to import it into "
            "Kubernetes.\n#\n# Created with teu v" + __version__ + "\n")
    return head + "---\n" + yaml.dump_all(docs, Dumper=Dumper, sort_keys=False,
                                          default_flow_style=False)
