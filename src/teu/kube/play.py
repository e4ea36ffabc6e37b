"""`teu kube play`: manifests -> pods, containers and volumes on this machine.

Everything is checked first (kinds, names, references, host port conflicts, images
pulled or built), then made in order: volumes for the claims, per pod its files
(ConfigMap and Secret volumes), the pod (infra with the published ports), init
containers run to completion, then the containers. Whatever fails half-way is undone,
so a failed play leaves nothing. Pods carry the label io.teu.kube.play=KIND/NAME, by
which `kube down` finds exactly what play made."""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from teu.kube import names
from teu.kube.errors import KubeError
from teu.kube.manifest import Doc
from teu.kube.podspec import RESTART, Objects, PodPlan, pod_plan

Say = Callable[[str], None]
PLAY = "io.teu.kube.play"  # on pods: KIND/NAME of the manifest object
MADE = "io.teu.kube.made"  # on volumes play created (claims, emptyDirs): KIND/NAME
KINDS = {"Pod": "v1", "Deployment": "apps/v1", "Job": "batch/v1",
         "PersistentVolumeClaim": "v1", "ConfigMap": "v1", "Secret": "v1", "Service": "v1"}
KUBE_NETWORK = "teu-kube"
# The fields of each kind's spec that play reads (the pod template's are podspec's).
SPEC_FIELDS = {"Deployment": {"replicas", "selector", "template"},
               "Job": {"template", "backoffLimit", "activeDeadlineSeconds"},
               "Service": {"type", "selector", "ports"},
               "PersistentVolumeClaim": {"accessModes", "resources", "volumeMode",
                                         "storageClassName"}}  # the user network play puts pods on when bridge is the default


@dataclass
class PlayOptions:
    start: bool = True
    network: list[str] = field(default_factory=list)
    build: bool = False
    context_dir: str = "."  # where --build looks for IMAGE/Containerfile
    replace: bool = False


@dataclass
class Balanced:
    """A host port spread over several pods (teu.network.service_nat): a NodePort of a
    Service selecting several pods, or the hostPort of a Deployment's replicas."""

    owner: str  # Kind/name: what kube down removes it with
    proto: str
    host_ip: str
    port: int
    target: int
    pods: list[str]


@dataclass
class Plan:
    objects: Objects
    pods: list[PodPlan]
    claims: list[Doc]
    services: list[Doc]
    balanced: list[Balanced] = field(default_factory=list)


def files_dir(root: str, pod: str) -> str:
    return os.path.join(root, "kube", "pods", pod)


def pod_names(doc: Doc) -> list[str]:
    """The pods a workload object makes: a Pod its name, a Deployment NAME-pod (or
    NAME-pod-I for several replicas), a Job NAME-pod."""
    if doc.kind == "Pod":
        return [doc.name]
    if doc.kind == "Deployment":
        n = int((doc.obj.get("spec") or {}).get("replicas", 1))
        return [f"{doc.name}-pod"] if n == 1 else [f"{doc.name}-pod-{i}" for i in range(n)]
    return [f"{doc.name}-pod"]


def _decode(doc: Doc) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if doc.kind == "ConfigMap":
        for k, v in (doc.obj.get("data") or {}).items():
            out[str(k)] = str(v).encode()
        for k, v in (doc.obj.get("binaryData") or {}).items():
            out[str(k)] = _b64(v, doc, k)
    else:
        for k, v in (doc.obj.get("data") or {}).items():
            out[str(k)] = _b64(v, doc, k)
        for k, v in (doc.obj.get("stringData") or {}).items():
            out[str(k)] = str(v).encode()
    for k in out:
        if not names.is_config_key(k):
            raise KubeError(f"{doc.where}: {doc.kind} {doc.name}: key {k!r} is not valid")
    return out


def _b64(v: object, doc: Doc, key: str) -> bytes:
    try:
        return base64.b64decode(str(v), validate=True)
    except (binascii.Error, ValueError):
        raise KubeError(f"{doc.where}: {doc.kind} {doc.name}: {key} is not base64") from None


def plan(docs: list[Doc], root: str, warn: Say, existing_volumes: set[str]) -> Plan:
    """Everything checked, nothing made."""
    objects = Objects()
    seen: set[tuple[str, str]] = set()
    usable = []
    for d in docs:
        if d.kind not in KINDS:
            warn(f"{d.where}: kind {d.kind} ({d.obj.get('apiVersion')}) is not supported: "
                 "skipped")
            continue
        if d.obj.get("apiVersion") != KINDS[d.kind]:
            raise KubeError(f"{d.where}: {d.kind} has apiVersion {KINDS[d.kind]}, not "
                            f"{d.obj.get('apiVersion')}")
        ok = names.is_1035_label(d.name) if d.kind == "Service" else (
            names.is_label(d.name) if d.kind in ("Pod", "Deployment", "Job")
            else names.is_subdomain(d.name))
        if not ok:
            rule = "an RFC 1035 label" if d.kind == "Service" else "an RFC 1123 name"
            raise KubeError(f"{d.where}: {d.kind} name {d.name!r} is not valid: it must be "
                            f"{rule} (lower case letters, digits and '-')")
        if (d.kind, d.name) in seen:
            raise KubeError(f"{d.where}: {d.kind} {d.name} is defined twice")
        seen.add((d.kind, d.name))
        ns = (d.obj.get("metadata") or {}).get("namespace")
        if ns and ns != "default":
            warn(f"{d.where}: namespace {ns} is ignored (one namespace here)")
        usable.append(d)
    for d in usable:
        for key in (d.obj.get("spec") or {}) if d.kind in SPEC_FIELDS else ():
            if key not in SPEC_FIELDS[d.kind]:
                warn(f"{d.where}: {d.kind} {d.name}: field spec.{key} is not supported: "
                     "ignored")
        if d.kind == "ConfigMap":
            objects.config_maps[d.name] = _decode(d)
        elif d.kind == "Secret":
            objects.secrets[d.name] = _decode(d)
        elif d.kind == "PersistentVolumeClaim":
            objects.claims.add(d.name)
    pods: list[PodPlan] = []
    for d in usable:
        if d.kind not in ("Pod", "Deployment", "Job"):
            continue
        spec = d.obj.get("spec") or {}
        meta = d.obj.get("metadata") or {}
        if d.kind != "Pod":
            template = spec.get("template") or {}
            if d.kind == "Deployment":
                sel = (spec.get("selector") or {}).get("matchLabels") or {}
                labels = (template.get("metadata") or {}).get("labels") or {}
                if any(labels.get(k) != v for k, v in sel.items()):
                    raise KubeError(f"{d.where}: Deployment {d.name}: selector {sel} does "
                                    f"not match the template's labels {labels}")
                replicas = spec.get("replicas", 1)
                if not isinstance(replicas, int) or replicas < 0:
                    raise KubeError(f"{d.where}: replicas {replicas!r} must be a number")
            meta, spec = template.get("metadata") or {}, template.get("spec") or {}
            if d.kind == "Job" and (spec.get("restartPolicy") or "Never") == "Always":
                raise KubeError(f"{d.where}: Job {d.name}: restartPolicy must be OnFailure "
                                "or Never")
        for pname in pod_names(d):
            p = pod_plan(pname, f"{d.kind}/{d.name}", d.kind, meta, spec, objects,
                         files_dir(root, pname), f"{d.where} {d.kind} {d.name}", warn,
                         "Never" if d.kind == "Job" else "Always")
            if d.kind == "Job":
                p.backoff = int((d.obj.get("spec") or {}).get("backoffLimit", 6))
                p.deadline = float((d.obj.get("spec") or {}).get("activeDeadlineSeconds")
                                   or p.deadline or 0)
            pods.append(p)
    for p in pods:
        for c in p.init + p.containers:
            for m in c["volume"]:
                if m["kind"] == "volume" and m["source"] not in p.volumes and \
                        m["source"] not in objects.claims and m["source"] not in \
                        existing_volumes:
                    raise KubeError(f"pod {p.name}: PersistentVolumeClaim {m['source']!r} "
                                    "not found (not in the manifests, no such volume)")
    balanced = _replica_host_ports(pods)
    services = [d for d in usable if d.kind == "Service"]
    balanced += _services(services, pods, warn)
    _port_conflicts(pods, balanced)
    claims = [d for d in usable if d.kind == "PersistentVolumeClaim"]
    return Plan(objects, pods, claims, services, balanced)


def _replica_host_ports(pods: list[PodPlan]) -> list[Balanced]:
    """A Deployment's replicas share its hostPorts: each port is spread over them all
    (one kubelet per node would run one replica per port; here the node is one host)."""
    out = []
    by_workload: dict[str, list[PodPlan]] = {}
    for p in pods:
        if p.kind == "Deployment":
            by_workload.setdefault(p.workload, []).append(p)
    for workload, replicas in by_workload.items():
        if len(replicas) < 2:
            continue
        for ip, hp, cp, proto in replicas[0].host_publish:
            out.append(Balanced(workload, proto, ip, hp, cp, [r.name for r in replicas]))
        for r in replicas:
            gone = {(ip, hp, proto) for ip, hp, _cp, proto in r.host_publish}
            strings = {f"{ip + ':' if ip else ''}{hp}:{cp}/{proto.lower()}"
                       for ip, hp, cp, proto in r.host_publish}
            r.publish = [x for x in r.publish if x not in strings]
            r.host_ports = [h for h in r.host_ports if h not in gone]
            r.host_publish = []
    return out


def _services(services: list[Doc], pods: list[PodPlan], warn: Say) -> list[Balanced]:
    """Service names become network aliases of the pods they select; a `port` other
    than the `targetPort` is redirected in each selected pod (service_nat); a NodePort
    is published on the pod it selects, or spread over the pods when it selects
    several."""
    balanced = []
    for d in services:
        spec = d.obj.get("spec") or {}
        sel = spec.get("selector") or {}
        chosen = [p for p in pods if sel and all(p.labels.get(k) == v
                                                for k, v in sel.items())]
        if not chosen:
            warn(f"{d.where}: Service {d.name}: selector {sel} selects no pod here")
            continue
        for p in chosen:
            if d.name not in p.aliases:
                p.aliases.append(d.name)
        stype = spec.get("type") or "ClusterIP"
        if stype not in ("ClusterIP", "NodePort", "LoadBalancer"):
            warn(f"{d.where}: Service type {stype} is not supported: only its name is used")
            continue
        for i, port in enumerate(spec.get("ports") or []):
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, str):
                found = next((p.port_names[target] for p in chosen
                              if target in p.port_names), None)
                if found is None:
                    raise KubeError(f"{d.where}: Service {d.name} ports[{i}]: targetPort "
                                    f"{target!r} names no container port")
                target = found
            proto = (port.get("protocol") or "TCP").upper()
            service_port = port.get("port")
            if not isinstance(service_port, int) or not 1 <= service_port <= 65535:
                raise KubeError(f"{d.where}: Service {d.name} ports[{i}]: port "
                                f"{service_port!r} must be 1-65535")
            if service_port != target:
                for p in chosen:
                    if (proto.lower(), service_port, target) not in p.service_ports:
                        p.service_ports.append((proto.lower(), service_port, target))
            if stype == "ClusterIP":
                continue
            node = int(port.get("nodePort") or 0)
            if len(chosen) > 1:
                if not node:
                    node = _free_node_port(pods, balanced)
                    warn(f"{d.where}: Service {d.name}: nodePort {node} chosen")
                balanced.append(Balanced(f"Service/{d.name}", proto, "", node, target,
                                         [p.name for p in chosen]))
                continue
            chosen[0].publish.append(f"{node or ''}{':' if node else ''}{target}/"
                                     f"{proto.lower()}")
            if node:
                chosen[0].host_ports.append(("", node, proto))
    return balanced


def _free_node_port(pods: list[PodPlan], balanced: list[Balanced]) -> int:
    taken = {hp for p in pods for _ip, hp, _proto in p.host_ports} | \
        {b.port for b in balanced}
    import random

    while True:
        port = random.randint(30000, 32767)
        if port not in taken:
            return port


def _port_conflicts(pods: list[PodPlan], balanced: list[Balanced]) -> None:
    taken: dict[tuple[int, str], str] = {}
    wanted = [(port, proto, f"pod {p.name}") for p in pods
              for _ip, port, proto in p.host_ports]
    wanted += [(b.port, b.proto, f"{b.owner} (its pods)") for b in balanced]
    for port, proto, who in wanted:
        key = (port, proto.upper())
        if key in taken:
            raise KubeError(f"port conflict: host port {port}/{proto.upper()} is wanted by "
                            f"{taken[key]} and by {who}")
        taken[key] = who


def _network(engine, opts: PlayOptions, say: Say) -> list[str]:  # noqa: ANN001
    """The pods' network: --network, else the engine's default, with `bridge` replaced
    by the teu-kube user network (names and Service names resolve there, as in a
    cluster's DNS)."""
    if opts.network:
        return list(opts.network)
    from teu.engine.config.options import default_network

    default = default_network()
    if default not in ("bridge", "default", ""):
        return [default]
    from teu.network.errors import NetworkNotFound
    from teu.network.store import Store

    store = Store(engine.paths.root)
    try:
        store.get(KUBE_NETWORK)
    except NetworkNotFound:
        store.create(KUBE_NETWORK, "bridge", labels={PLAY: "network"})
        say(f"Network:\n{KUBE_NETWORK}")
    return [KUBE_NETWORK]


def _images(engine, p: Plan, opts: PlayOptions, say: Say) -> None:  # noqa: ANN001
    """Every image present (pulled, or built with --build) before anything is made."""
    from teu.engine.config.images import ImageNotFound, resolve
    from teu.engine.lifecycle.create import resolve_image

    done: set[str] = set()
    for pod in p.pods:
        for c in pod.init + pod.containers:
            ref, pull = c["image"], c["pull"]
            if (ref, pull) in done:
                continue
            done.add((ref, pull))
            if opts.build:
                try:
                    resolve(engine.paths, ref, engine.db.conn)
                except ImageNotFound:
                    if _build(engine, ref, opts.context_dir, say):
                        continue
            try:
                resolve_image(engine, ref, pull)
            except KubeError:
                raise
            except Exception as e:  # noqa: BLE001 - any failure to get it is one line
                raise KubeError(f"pod {pod.name}: image {ref}: {e}") from None


def _build(engine, ref: str, context_dir: str, say: Say) -> bool:  # noqa: ANN001
    """podman's --build: a directory named after the image (beside the YAML) holding a
    Containerfile or Dockerfile is built as that image."""
    import subprocess
    import sys

    base = ref.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    d = os.path.join(context_dir, base)
    files = [f for f in ("Containerfile", "Dockerfile") if os.path.isfile(os.path.join(d, f))]
    if not files:
        return False
    env = {**os.environ, "TEU_ROOT": engine.paths.root, "TEU_RUNROOT": engine.paths.runroot}
    r = subprocess.run([sys.executable, "-m", "teu.cli.main", "build", "-q", "-t", ref,
                        "-f", os.path.join(d, files[0]), d], env=env, capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise KubeError(f"build of {ref} from {d} failed: "
                        f"{(r.stderr.strip().splitlines() or ['?'])[-1]}")
    say(f"Built: {ref}")
    return True


def play(engine, docs: list[Doc], opts: PlayOptions, warn: Say, say: Say) -> Plan:  # noqa: ANN001
    from teu.engine.pods import store

    taken = {pd.name for pd in store.all_pods(engine.db)}
    if opts.replace:
        from teu.kube.down import down

        down(engine, docs, lambda _m: None)
        taken = {pd.name for pd in store.all_pods(engine.db)}
    existing = {v["name"] for v in engine.db.volumes()}
    p = plan(docs, engine.paths.root, warn, existing)
    for pod in p.pods:
        if pod.name in taken:
            raise KubeError(f"pod {pod.name} already exists (kube down first, or --replace)")
    _images(engine, p, opts, say)
    undo: list[Callable[[], None]] = []
    try:
        _make(engine, p, opts, say, undo, existing)
        _balance(engine, p, opts, warn, say, undo)
    except JobFailed:
        raise  # the Job ran: what it made stays, for its logs
    except BaseException:
        for step in reversed(undo):
            try:
                step()
            except Exception:  # noqa: BLE001 - undo what can be undone
                pass
        raise
    return p


def _make(engine, p: Plan, opts: PlayOptions, say: Say, undo: list,  # noqa: ANN001
          existing: set[str]) -> None:
    from teu.engine.lifecycle.create import create
    from teu.engine.lifecycle.remove import remove as remove_container
    from teu.engine.lifecycle.run import run
    from teu.engine.pods.lifecycle import create as create_pod
    from teu.engine.pods.lifecycle import remove as remove_pod
    from teu.engine.storage import volumes as V

    def drop_volume(name: str) -> Callable[[], None]:
        return lambda: V.remove(engine.paths, engine.db, name, force=True)

    nets = _network(engine, opts, say)
    user_net = nets[0] not in ("none", "host") and not nets[0].startswith("container:")
    for d in p.claims:
        if d.name in existing:
            continue
        V.create(engine.paths, engine.db, d.name, {MADE: f"PersistentVolumeClaim/{d.name}"})
        undo.append(drop_volume(d.name))
        say(f"Volume:\n{d.name}")
    for pod in p.pods:
        for vol in pod.volumes:  # emptyDir: one volume per pod, shared by its containers
            V.create(engine.paths, engine.db, vol, {MADE: f"emptyDir/{pod.name}"})
            undo.append(drop_volume(vol))
        fdir = files_dir(engine.paths.root, pod.name)
        if pod.files:
            undo.append(lambda d=fdir: shutil.rmtree(d, ignore_errors=True))
        for path, data, mode in pod.files:
            if path.endswith("/"):
                os.makedirs(path, 0o755, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, mode)
        pod_opts: dict = {"name": pod.name, "hostname": pod.hostname, "network": nets,
                          "publish": pod.publish,
                          "label": [f"{PLAY}={pod.workload}",
                                    *(f"{k}={v}" for k, v in pod.labels.items())]}
        if user_net:
            pod_opts["network_alias"] = [pod.name, *pod.aliases]
        if pod.probes:
            pod_opts["probes"] = pod.probes
        for key, kind in (("memory", int), ("cpus", float)):  # the kubelet's pod cgroup
            given = [c.get(key) for c in pod.containers]
            if given and all(given):
                pod_opts[key] = str(sum(kind(v) for v in given))  # type: ignore[operator]
        if pod.service_ports and user_net:
            pod_opts["service_ports"] = pod.service_ports
        made = create_pod(engine, pod_opts)
        undo.append(lambda pid=made.id: remove_pod(engine, pid, force=True, volumes=True))
        say(f"Pod:\n{made.id}")
        restart = RESTART[pod.restart]
        if pod.kind == "Job" and restart == "on-failure":
            restart = f"on-failure:{pod.backoff}"
        if opts.start:
            for c in pod.init:
                o = _engine_opts(engine, c, pod.name, "no")
                cid, _ = run(engine, {**o, "detach": True})
                code = _wait(engine, cid, 0)
                remove_container(engine, cid, force=True)
                if code != 0:
                    raise KubeError(f"pod {pod.name}: init container {c['name']} exited "
                                    f"with {code}")
        ids = []
        for c in pod.containers:
            o = _engine_opts(engine, c, pod.name, restart)
            if opts.start:
                ids.append(run(engine, {**o, "detach": True})[0])
            else:
                ids.append(create(engine, o)["id"])
        say("Containers:\n" + "\n".join(ids))
        if opts.start and pod.probes:
            from teu.engine.pods import prober

            prober.launch(engine, made)
        if pod.kind == "Job" and opts.start:
            _job(engine, pod, ids, say)


def _balance(engine, p: Plan, opts: PlayOptions, warn: Say, say: Say,  # noqa: ANN001
             undo: list) -> None:
    """The host ports spread over several pods: their addresses are known now. Pods
    with a readiness probe join once ready (their prober says so)."""
    from teu.engine.network import network_settings
    from teu.engine.pods import store
    from teu.network import service_nat

    plans = {pod.name: pod for pod in p.pods}
    held = _published(engine)
    for b in p.balanced:
        who = held.get((b.port, b.proto.lower()))
        if who:
            raise KubeError(f"port conflict: host port {b.port}/{b.proto} is already "
                            f"allocated by container {who}")
        backends = []
        for name in b.pods:
            pod = store.find(engine.db, name)
            infra = engine.db.get(pod.infra_id)
            nets = network_settings(engine, infra).get("Networks") or {} if infra else {}
            ip = next((n["IPAddress"] for n in nets.values() if n.get("IPAddress")), "")
            gated = any(x["kind"] in ("readiness", "startup") for x in plans[name].probes)
            backends.append({"pod": name, "ip": ip, "port": b.target, "ready": not gated})
        if not any(x["ip"] for x in backends):
            warn(f"{b.owner}: host port {b.port}/{b.proto} is not published: its pods have "
                 "no address" + (" (--start=false)" if not opts.start else ""))
            continue
        try:
            path = service_nat.record(engine.paths.root, b.owner, b.proto, b.port,
                                      b.host_ip, backends)
        except ValueError as e:
            raise KubeError(f"port conflict: {e}") from None
        undo.append(lambda b=b, path=path: (service_nat.unbalance(b.proto, b.port),
                                            os.unlink(path)))
        say(f"Port {b.port}/{b.proto.lower()} spread over {', '.join(b.pods)}")


def _published(engine) -> dict[tuple[int, str], str]:  # noqa: ANN001
    """(host port, proto) -> name of the running container publishing it."""
    from teu.engine import state

    out = {}
    for row in state.refresh_all(engine):
        if row["status"] not in ("running", "paused"):
            continue
        for key, binds in (row.settings["HostConfig"].get("PortBindings") or {}).items():
            proto = key.partition("/")[2] or "tcp"
            for b in binds or []:
                if b.get("HostPort"):
                    out[(int(b["HostPort"]), proto)] = row["name"]
    return out


def unbalance(root: str, owners: set[str]) -> list[str]:
    """kube down's part: the spread host ports of these objects go."""
    from teu.network import service_nat

    return service_nat.drop(root, owners)


def _engine_opts(engine, c: dict, pod: str, restart: str) -> dict:  # noqa: ANN001
    """A planned container's options in the engine's terms (-v strings, the pod)."""
    o = {k: v for k, v in c.items() if k != "volume"}
    o["pod"] = pod
    o["restart"] = restart
    vols = []
    for m in c["volume"]:
        src = m["source"]
        if m["kind"] == "volume" and m["sub"]:
            src = engine.paths.volume(src, "_data", m["sub"])
            os.makedirs(src, 0o755, exist_ok=True)
        elif m["kind"] == "bind":
            if m["sub"]:
                src = os.path.join(src, m["sub"])
            if m.get("create") and not os.path.exists(src):
                os.makedirs(src, 0o755, exist_ok=True)
        vols.append(f"{src}:{m['target']}" + (":ro" if m["ro"] else ""))
    o["volume"] = vols
    if not o.get("tmpfs"):
        o.pop("tmpfs", None)
    return o


def _wait(engine, cid: str, deadline: float) -> int | None:  # noqa: ANN001
    """Until the container has exited for good (restarts done); its exit code."""
    from teu.engine import state

    end = time.monotonic() + deadline if deadline else None
    while True:
        row = state.refresh(engine, engine.find(cid))
        if row is None:
            return None
        if row["status"] in ("exited", "dead"):
            return row["exit_code"]
        if end is not None and time.monotonic() > end:
            return None
        time.sleep(0.1)


def _job(engine, pod: PodPlan, ids: list[str], say: Say) -> None:  # noqa: ANN001
    """A Job runs to completion: every container exits 0 (or the Job failed)."""
    failed = []
    for cid in ids:
        code = _wait(engine, cid, pod.deadline)
        if code is None:
            from teu.engine.lifecycle.control import kill

            try:
                kill(engine, cid)
            except Exception:  # noqa: BLE001 - it may have ended meanwhile
                pass
            failed.append(f"{cid[:12]} passed its deadline of {pod.deadline:g}s")
        elif code != 0:
            failed.append(f"{cid[:12]} exited with {code}")
    from teu.engine.pods.lifecycle import stop

    stop(engine, pod.name, 5)  # done: the sandbox goes too (pod status Exited)
    if failed:
        raise JobFailed(f"Job {pod.workload.partition('/')[2]} failed: {'; '.join(failed)}")
    say(f"Job {pod.workload.partition('/')[2]} completed")


class JobFailed(KubeError):
    """A Job ran and failed: what it made stays (its logs), unlike a failed play."""
