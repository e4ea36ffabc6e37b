"""A Compose project (teu.compose's loader and model) -> workloads: one per service
(a Deployment of deploy.replicas, or a Pod), its ports, volumes (named -> PVC, binds ->
hostPath, anonymous and tmpfs -> emptyDir), env files -> ConfigMaps, configs ->
ConfigMaps, secrets -> Secrets. What Kubernetes has no word for is said on stderr."""

from __future__ import annotations

import os

from teu.kube import convert
from teu.kube.model import Container, Mount, Port, Project, Workload
from teu.kube.names import Namer

Note = convert.Note

HANDLED = {"image", "build", "command", "entrypoint", "environment", "ports", "volumes",
           "healthcheck", "deploy", "user", "cap_add", "cap_drop", "read_only", "privileged",
           "security_opt", "working_dir", "tty", "stdin_open", "restart", "configs",
           "secrets", "hostname", "labels", "networks", "scale", "depends_on", "tmpfs",
           "expose", "container_name", "stop_grace_period", "pull_policy"}


def _ns(value, where: str) -> int:  # noqa: ANN001
    from teu.compose.units import nanoseconds

    return nanoseconds(value, where) if value not in (None, "") else 0


def service(project_model: dict, name: str, svc: dict, namer: Namer, project: Project,
            env_files: list, note: Note, lookup_digest) -> Workload:  # noqa: ANN001
    what = f"service {name}"
    image = svc.get("image")
    if not image:
        image = f"{project_model['name']}-{name}"
        note(f"{what}: build: is not written: the image {image} must be built and pushed "
             "where the cluster pulls from")
    c = Container(namer(name, "container"), lookup_digest(image))
    if svc.get("entrypoint") is not None:
        c.command = list(svc["entrypoint"])
        c.args = list(svc.get("command") or []) or None
    elif svc.get("command") is not None:
        c.args = list(svc["command"])
    env = dict(svc.get("environment") or {})
    for i, (_path, values) in enumerate(env_files):
        cm = namer(f"{name}-env{i or ''}" if len(env_files) > 1 else f"{name}-env",
                   "config map")
        project.config_maps[cm] = {k: "" if v is None else str(v) for k, v in values.items()}
        c.env_from.append(cm)
        for k, v in values.items():
            if env.get(k) == v:
                del env[k]
    c.env = {k: "" if v is None else str(v) for k, v in env.items()}
    for p in svc.get("ports") or []:
        published = str(p.get("published") or "")
        lo, _, hi = published.partition("-")
        hp = int(lo) if lo.isdigit() else 0
        if hi:
            note(f"{what}: published range {published} written as its first port {lo}")
        c.ports.append(Port(int(p["target"]), hp, (p.get("protocol") or "tcp").upper(),
                            p.get("host_ip") or ""))
    for e in svc.get("expose") or []:  # reachable by other services: a Service port
        port, _, proto = str(e).partition("/")
        lo, _, hi = port.partition("-")
        for n in range(int(lo), int(hi or lo) + 1):
            c.ports.append(Port(n, 0, (proto or "tcp").upper()))
    for v in svc.get("volumes") or []:
        kind, target, ro = v.get("type"), v["target"], bool(v.get("read_only"))
        if kind == "bind":
            note(f"{what}: bind mount of the host path {v['source']} written as a hostPath "
                 "volume: it exists only on a node that has that path")
            c.mounts.append(Mount("hostPath", v["source"], target, ro))
        elif kind == "volume" and v.get("source"):
            real = (project_model.get("volumes") or {}).get(v["source"], {}).get("name") \
                or v["source"]
            claim = namer(real, "volume")
            if claim not in project.claims:
                project.claims.append(claim)
            c.mounts.append(Mount("pvc", claim, target, ro))
        elif kind == "volume":
            c.mounts.append(Mount("emptyDir", "", target, ro))
        elif kind == "tmpfs":
            size = (v.get("tmpfs") or {}).get("size")
            c.mounts.append(Mount("tmpfs", "", target, ro,
                                  size=convert.memory(int(size)) if size else ""))
        else:
            note(f"{what}: volume of type {kind} at {target} cannot be expressed: dropped")
    for t in svc.get("tmpfs") or []:
        c.mounts.append(Mount("tmpfs", "", t.split(":", 1)[0]))
    for kind, top, default_dir in (("configs", "configs", "/"), ("secrets", "secrets",
                                                                  "/run/secrets/")):
        for ref in svc.get(kind) or []:
            src = ref["source"]
            spec = (project_model.get(top) or {}).get(src) or {}
            obj = namer(spec.get("name") or src, kind[:-1])
            target = ref.get("target") or default_dir + src
            if not target.startswith("/"):
                target = default_dir + target
            key = os.path.basename(target) or src
            data = _content(spec, project_model, note, f"{what}: {kind[:-1]} {src}")
            if kind == "configs":
                project.config_maps.setdefault(obj, {})[key] = data.decode(errors="replace")
                c.mounts.append(Mount("configMap", obj, target, True, key))
            else:
                project.secrets.setdefault(obj, {})[key] = data
                c.mounts.append(Mount("secret", obj, target, True, key))
    hc = svc.get("healthcheck") or {}
    if hc and not hc.get("disable"):
        c.probe = convert.probe(hc.get("test"), _ns(hc.get("interval"), what),
                                _ns(hc.get("timeout"), what), int(hc.get("retries") or 0),
                                _ns(hc.get("start_period"), what), note, what)
    res = (svc.get("deploy") or {}).get("resources") or {}
    for src, dst in ((res.get("limits") or {}, c.limits),
                     (res.get("reservations") or {}, c.requests)):
        if src.get("memory"):
            dst["memory"] = convert.memory(int(src["memory"]))
        if src.get("cpus"):
            dst["cpu"] = convert.cpus(int(float(src["cpus"]) * 1e9))
        if src.get("pids"):
            note(f"{what}: pids limit cannot be expressed in a Pod: dropped")
        if src.get("devices"):
            note(f"{what}: device reservations cannot be expressed: dropped")
    c.security = convert.security_context(
        str(svc.get("user") or ""), svc.get("cap_add") or [], svc.get("cap_drop") or [],
        bool(svc.get("read_only")), bool(svc.get("privileged")),
        svc.get("security_opt") or [], note, what)
    c.workdir = svc.get("working_dir") or ""
    c.tty, c.stdin = bool(svc.get("tty")), bool(svc.get("stdin_open"))
    if svc.get("depends_on"):
        note(f"{what}: depends_on ({', '.join(svc['depends_on'])}) cannot be expressed: "
             "Kubernetes starts pods independently (readiness probes gate the traffic)")
    nets = [n for n in svc.get("networks") or {} if n != "default"]
    if nets:
        note(f"{what}: networks {', '.join(nets)} are not written (pods reach each other "
             "through Services named after the services)")
    if svc.get("container_name"):
        note(f"{what}: container_name {svc['container_name']} is not written (pods are "
             "named after the service)")
    for key in sorted(set(svc) - HANDLED):
        if svc[key] not in (None, [], {}, ""):
            note(f"{what}: {key} cannot be expressed: dropped")
    from teu.compose.run import replicas

    w = Workload(namer(name, "service"), [c], replicas(svc),
                 convert.restart_policy(svc.get("restart") or "", note, what),
                 svc.get("hostname") or "")
    w.labels = {k: str(v) for k, v in (svc.get("labels") or {}).items()}
    return w


def _content(spec: dict, model: dict, note: Note, what: str) -> bytes:
    if spec.get("file"):
        try:
            with open(spec["file"], "rb") as f:
                return f.read()
        except OSError as e:
            note(f"{what}: {spec['file']}: {e.strerror}: written empty")
            return b""
    if spec.get("content") is not None:
        return str(spec["content"]).encode()
    if spec.get("environment"):
        return os.environ.get(spec["environment"], "").encode()
    if spec.get("external"):
        note(f"{what}: external, its content is not known here: written empty")
    return b""


def from_compose(loaded, note: Note, lookup_digest=lambda ref: ref) -> Project:  # noqa: ANN001
    """`loaded`: a teu.compose.loader.Project."""
    project = Project()
    namer = Namer(note)
    for name, svc in sorted(loaded.services.items()):
        project.workloads.append(service(loaded.model, name, svc, namer, project,
                                         loaded.env_files.get(name) or [], note,
                                         lookup_digest))
    return project
