"""Containers and pods of the engine -> workloads (teu.kube.model), as they run here:
the settings docker would show in inspect, compared with the image's own config so that
only what the user set is written."""

from __future__ import annotations

import os

from teu.kube import convert
from teu.kube.model import Container, Mount, Port, Project, Workload
from teu.kube.names import Namer

Note = convert.Note


def digest_ref(engine, image_id: str, ref: str) -> str:  # noqa: ANN001
    """`ref` pinned by digest when the store knows one (a pulled image), else `ref`."""
    if "@" in ref:
        return ref
    rows = [n for (n,) in engine.db.conn.execute(
        "SELECT name FROM repo_digests WHERE image_id=? ORDER BY name", (image_id,))]
    if not rows:
        return ref
    from teu.engine.config.images import normalize

    full = normalize(ref) or ref
    repo = full.rsplit(":", 1)[0] if ":" in full.rsplit("/", 1)[-1] else full
    for name in rows:
        if name.split("@", 1)[0] == repo:
            return name
    return rows[0]


def _image_config(engine, row) -> dict:  # noqa: ANN001
    from teu.engine.config.images import ImageNotFound, load

    try:
        return load(engine.paths, row["image_id"], row["image"], engine.db.conn).run_config
    except ImageNotFound:
        return {}


def container(engine, row, namer: Namer, project: Project, note: Note,  # noqa: ANN001
              ports: dict | None = None) -> Container:
    """One container's settings as a Kubernetes container (plus the PVCs and Secrets it
    needs, added to `project`). `ports`: PortBindings to publish (a pod's, from its
    infra); default the container's own."""
    s = row.settings
    config, host = s["Config"], s["HostConfig"]
    what = f"container {row['name']}"
    img = _image_config(engine, row)
    c = Container(namer(row["name"], "container"),
                  digest_ref(engine, row["image_id"], row["image"]))
    c.command, c.args = convert.command_args(config.get("Entrypoint"), config.get("Cmd"),
                                             img.get("Entrypoint"), img.get("Cmd"))
    # Not the image's own: teu's default PATH for a PATH-less image is written too, since
    # other runtimes (podman kube play, a kubelet) do not all add one.
    image_env = set(img.get("Env") or [])
    for e in config.get("Env") or []:
        if e in image_env:
            continue
        k, _, v = e.partition("=")
        c.env[k] = v
    bindings = host.get("PortBindings") or {} if ports is None else ports
    for key, binds in sorted(bindings.items()):
        port, _, proto = key.partition("/")
        for b in binds or [{}]:
            hp = int(b.get("HostPort") or 0)
            ip = b.get("HostIp") or ""
            c.ports.append(Port(int(port), hp, (proto or "tcp").upper(),
                                ip if ip not in ("0.0.0.0", "::") else ""))
    for m in s.get("Mounts") or []:
        target, ro = m["Destination"], not m.get("RW", True)
        if m["Type"] == "volume":
            anonymous = (engine.db.volume(m["Name"]) or {}).get("anonymous")
            if anonymous:
                c.mounts.append(Mount("emptyDir", "", target, ro))
            else:
                claim = namer(m["Name"], "volume")
                if claim not in project.claims:
                    project.claims.append(claim)
                c.mounts.append(Mount("pvc", claim, target, ro))
        elif m["Type"] == "bind":
            note(f"{what}: bind mount of the host path {m['Source']} written as a hostPath "
                 "volume: it exists only on a node that has that path")
            c.mounts.append(Mount("hostPath", m["Source"], target, ro))
        elif m["Type"] == "tmpfs":
            c.mounts.append(Mount("tmpfs", "", target, ro))
    for target in sorted(host.get("Tmpfs") or {}):
        c.mounts.append(Mount("tmpfs", "", target))
    for sec in (s.get("Teu") or {}).get("Secrets") or []:
        name = namer(os.path.basename(sec["Source"]), "secret")
        try:
            with open(sec["Source"], "rb") as f:
                project.secrets[name] = {os.path.basename(sec["Target"]): f.read()}
        except OSError as e:
            note(f"{what}: secret {sec['Source']} unreadable ({e.strerror}): written empty")
            project.secrets[name] = {os.path.basename(sec["Target"]): b""}
        c.mounts.append(Mount("secret", name, sec["Target"], True,
                              os.path.basename(sec["Target"])))
    hc = config.get("Healthcheck") or {}
    c.probe = convert.probe(hc.get("Test"), hc.get("Interval") or 0, hc.get("Timeout") or 0,
                            hc.get("Retries") or 0, hc.get("StartPeriod") or 0, note, what)
    if host.get("Memory"):
        c.limits["memory"] = convert.memory(host["Memory"])
    if host.get("NanoCpus"):
        c.limits["cpu"] = convert.cpus(host["NanoCpus"])
    if host.get("MemoryReservation"):
        c.requests["memory"] = convert.memory(host["MemoryReservation"])
    for key, label in (("CpuShares", "--cpu-shares"), ("PidsLimit", "--pids-limit"),
                       ("CpusetCpus", "--cpuset-cpus"), ("Devices", "--device"),
                       ("Sysctls", "--sysctl"), ("Ulimits", "--ulimit")):
        if host.get(key):
            note(f"{what}: {label} cannot be expressed in a Pod: dropped")
    c.security = convert.security_context(
        config.get("User") or "" if config.get("User") != img.get("User") else "",
        host.get("CapAdd") or [], host.get("CapDrop") or [], bool(host.get("ReadonlyRootfs")),
        bool(host.get("Privileged")), host.get("SecurityOpt") or [], note, what)
    if config.get("WorkingDir") and config["WorkingDir"] != img.get("WorkingDir"):
        c.workdir = config["WorkingDir"]
    c.tty, c.stdin = bool(config.get("Tty")), bool(config.get("OpenStdin"))
    return c


def _annotations(labels: dict, note: Note, what: str) -> dict[str, str]:
    import re

    ok = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}"
                    r"[A-Za-z0-9])?$")
    out = {}
    for k, v in labels.items():
        if ok.match(k):
            out[k] = str(v)
        else:
            note(f"{what}: label {k!r} is not a valid annotation key: dropped")
    return out


def from_engine(engine, refs: list[str], note: Note) -> Project:  # noqa: ANN001
    """Containers (one Pod for them all, podman's NAME-pod) or a pod, by name or ID."""
    from teu.engine import state
    from teu.engine.errors import NotFound
    from teu.engine.pods import store
    from teu.engine.pods.lifecycle import members

    project = Project()
    namer = Namer(note)
    rows = []
    for ref in refs:
        try:
            rows.append(state.refresh(engine, engine.find(ref)) or engine.find(ref))
            continue
        except NotFound:
            pass
        try:
            pod = store.find(engine.db, ref)
        except NotFound:
            raise NotFound(f"{ref}: no such container or pod") from None
        if len(refs) > 1:
            from teu.engine.errors import InvalidArgument

            raise InvalidArgument("a pod is generated alone: name one pod, or containers")
        infra = engine.db.get(pod.infra_id)
        ports = infra.settings["HostConfig"].get("PortBindings") or {} if infra else {}
        ctrs = []
        for i, row in enumerate(members(engine, pod)):
            own = _ports_for(engine, row, ports, first=i == 0)
            ctrs.append(container(engine, row, namer, project, note, own))
            for p in pod.settings.get("Probes") or []:  # kube play's, back as written
                if p.get("container") == row["name"]:
                    ctrs[-1].probes[f"{p['kind']}Probe"] = convert.kube_probe(p)
        if not ctrs:
            note(f"pod {pod.name} has no containers but its infra")
        w = Workload(namer(pod.name, "pod"), ctrs,
                     hostname=pod.settings.get("Hostname") if pod.settings.get("Hostname")
                     != pod.name else "")
        w.labels = _annotations(pod.labels, note, f"pod {pod.name}")
        project.workloads.append(w)
        _restart(w, [r for r in members(engine, pod)], note)
        return project
    for row in rows:
        if (row.settings.get("Teu") or {}).get("PodInfra"):
            raise NotFound(f"{row['name']} is a pod's infra container: generate the pod")
        nets = [n for n in (row.settings["HostConfig"].get("NetworkMode") or "").split(",")
                if n not in ("", "none", "bridge", "default", "host")
                and not n.startswith("container:")]
        if nets:
            note(f"container {row['name']}: networks {', '.join(nets)} are not written "
                 "(pods reach each other through Services)")
    ctrs = [container(engine, r, namer, project, note) for r in rows]
    w = Workload(namer(rows[0]["name"], "pod") + "-pod", ctrs)
    labels: dict = {}
    for r in rows:
        labels.update(r.settings["Config"].get("Labels") or {})
    w.labels = _annotations(labels, note, "containers")
    _restart(w, rows, note)
    project.workloads.append(w)
    return project


def _ports_for(engine, row, ports: dict, first: bool) -> dict:  # noqa: ANN001
    """A pod's published ports go to the member whose image exposes them, the rest to
    the first member."""
    exposed = set(_image_config(engine, row).get("ExposedPorts") or {})
    exposed |= set(row.settings["Config"].get("ExposedPorts") or {})
    out = {k: v for k, v in ports.items() if k in exposed}
    if first:
        out.update({k: v for k, v in ports.items() if k not in exposed})
    return out


def _restart(w: Workload, rows: list, note: Note) -> None:
    policies = {(r.settings["HostConfig"].get("RestartPolicy") or {}).get("Name") or "no"
                for r in rows}
    if len(policies) > 1:
        note(f"{w.name}: containers differ in restart policy ({', '.join(sorted(policies))}): "
             "one restartPolicy per Pod, the first container's is written")
    first = (rows[0].settings["HostConfig"].get("RestartPolicy") or {}).get("Name") if rows \
        else "no"
    w.restart = convert.restart_policy("" if first in (None, "", "no") else first, note,
                                       w.name)
