"""One pod template of a manifest -> what the engine makes for it (pure: no engine
calls, so it is unit-tested): the pod's options (hostname, labels, published ports),
its volumes (claims, emptyDirs, files of ConfigMaps and Secrets to write), and each
container's `teu run` options, init containers apart. Unsupported fields are warnings
naming them; what cannot work is a KubeError naming the file and line."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from teu.kube import names
from teu.kube.errors import KubeError

Warn = Callable[[str], None]

POD_FIELDS = {"containers", "initContainers", "volumes", "restartPolicy", "hostname",
              "securityContext", "terminationGracePeriodSeconds", "dnsPolicy",
              "enableServiceLinks", "schedulerName", "activeDeadlineSeconds",
              "automountServiceAccountToken"}  # no service accounts here: nothing to mount
CONTAINER_FIELDS = {"name", "image", "command", "args", "env", "envFrom", "ports",
                    "volumeMounts", "resources", "securityContext", "livenessProbe",
                    "readinessProbe", "startupProbe", "workingDir", "tty", "stdin",
                    "imagePullPolicy", "terminationMessagePath", "terminationMessagePolicy"}
SECURITY_FIELDS = {"runAsUser", "runAsGroup", "runAsNonRoot", "capabilities",
                   "readOnlyRootFilesystem", "privileged", "allowPrivilegeEscalation",
                   "seccompProfile", "supplementalGroups", "sysctls"}
VOLUME_KINDS = ("persistentVolumeClaim", "emptyDir", "hostPath", "configMap", "secret")
RESTART = {"Always": "always", "OnFailure": "on-failure", "Never": "no"}


@dataclass
class Objects:
    """What the manifests (and --configmap files) define, by name."""

    config_maps: dict[str, dict[str, bytes]] = field(default_factory=dict)
    secrets: dict[str, dict[str, bytes]] = field(default_factory=dict)
    claims: set[str] = field(default_factory=set)


@dataclass
class PodPlan:
    """A pod to make: `files` are (path, bytes, mode) to write before the containers
    run; `volumes` the emptyDir volumes to create (named after the pod)."""

    name: str
    workload: str  # Kind/name: the label kube down finds it by
    kind: str
    hostname: str
    labels: dict[str, str]
    restart: str
    publish: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes, int]] = field(default_factory=list)
    init: list[dict] = field(default_factory=list)
    containers: list[dict] = field(default_factory=list)
    port_names: dict[str, int] = field(default_factory=dict)
    host_ports: list[tuple[str, int, str]] = field(default_factory=list)
    deadline: float = 0
    backoff: int = 6
    probes: list[dict] = field(default_factory=list)  # teu.engine.pods.probes.Probe's
    host_publish: list[tuple[str, int, int, str]] = field(default_factory=list)  # hostPorts
    service_ports: list[tuple[str, int, int]] = field(default_factory=list)  # port->target


def quantity(value: object, what: str) -> float:
    """A Kubernetes quantity (64Mi, 1G, 500m, 1e3, 2) as a number."""
    text = str(value).strip()
    suffixes = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50,
                "Ei": 1 << 60, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "K": 1e3,
                "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
    for suffix in sorted(suffixes, key=len, reverse=True):
        if text.endswith(suffix) and text[:-len(suffix)]:
            number, scale = text[:-len(suffix)], suffixes[suffix]
            break
    else:
        number, scale = text, 1
    try:
        n = float(number)
    except ValueError:
        raise KubeError(f"{what}: {value!r} is not a quantity") from None
    if n < 0:
        raise KubeError(f"{what}: {value!r} is negative")
    return n * scale


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) in command and args: the container's variable; `$$(VAR)` is a
    literal `$(VAR)`; an unknown variable stays as written."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i) and ")" in text[i + 2:]:
            end = text.index(")", i + 2)
            name = text[i + 2:end]
            out.append(env[name] if name in env else text[i:end + 1])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _unknown(obj: dict, known: set[str], where: str, warn: Warn) -> None:
    for key in obj:
        if key not in known:
            warn(f"{where}: field {key} is not supported: ignored")


def pod_plan(pod_name: str, workload: str, kind: str, meta: dict, spec: dict,
             objects: Objects, files_dir: str, where: str, warn: Warn,
             default_restart: str = "Always") -> PodPlan:
    _unknown(spec, POD_FIELDS, f"{where} spec", warn)
    containers = spec.get("containers") or []
    if not containers:
        raise KubeError(f"{where}: spec.containers: at least one container is required")
    restart = spec.get("restartPolicy") or default_restart
    if restart not in RESTART:
        raise KubeError(f"{where}: restartPolicy {restart!r}: Always, OnFailure or Never")
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    hostname = spec.get("hostname") or pod_name
    plan = PodPlan(pod_name, workload, kind, hostname[:63], labels, restart)
    plan.deadline = float(spec.get("activeDeadlineSeconds") or 0)
    volumes = _volumes(plan, spec, objects, files_dir, where, warn)
    pod_security = spec.get("securityContext") or {}
    _unknown(pod_security, SECURITY_FIELDS | {"fsGroup", "fsGroupChangePolicy"},
             f"{where} spec.securityContext", warn)
    if pod_security.get("fsGroup") is not None:
        warn(f"{where}: securityContext.fsGroup is not supported: ignored")
    seen = set()
    for group, out in (("initContainers", plan.init), ("containers", plan.containers)):
        for i, c in enumerate(spec.get(group) or []):
            cwhere = f"{where} spec.{group}[{i}]"
            cname = c.get("name") or ""
            if not names.is_label(cname):
                raise KubeError(f"{cwhere}: container name {cname!r} is not a valid "
                                "Kubernetes name (RFC 1123 label)")
            if cname in seen:
                raise KubeError(f"{cwhere}: container name {cname!r} is used twice")
            seen.add(cname)
            out.append(_container(plan, c, volumes, objects, pod_security, spec, cwhere,
                                  warn, group == "initContainers"))
    return plan


def _volumes(plan: PodPlan, spec: dict, objects: Objects, files_dir: str, where: str,
             warn: Warn) -> dict[str, dict]:
    """Pod volume name -> how containers mount it: {"kind", "source"}."""
    out: dict[str, dict] = {}
    for i, v in enumerate(spec.get("volumes") or []):
        vwhere = f"{where} spec.volumes[{i}]"
        vname = v.get("name") or ""
        if not names.is_label(vname):
            raise KubeError(f"{vwhere}: volume name {vname!r} is not a valid Kubernetes name")
        kinds = [k for k in v if k != "name"]
        kind = next((k for k in kinds if k in VOLUME_KINDS), None)
        if kind is None:
            raise KubeError(f"{vwhere}: volume {vname!r} of type {', '.join(kinds) or '?'} "
                            "is not supported (persistentVolumeClaim, emptyDir, hostPath, "
                            "configMap, secret)")
        src = v[kind] or {}
        if kind == "persistentVolumeClaim":
            claim = src.get("claimName") or ""
            out[vname] = {"kind": "volume", "source": claim, "claim": True,
                          "ro": bool(src.get("readOnly"))}
        elif kind == "emptyDir":
            if src.get("medium") == "Memory":
                size = src.get("sizeLimit")
                out[vname] = {"kind": "tmpfs", "size": int(quantity(size, vwhere))
                              if size else 0}
            else:
                volume = f"{plan.name}-{vname}"
                plan.volumes.append(volume)
                out[vname] = {"kind": "volume", "source": volume}
        elif kind == "hostPath":
            path = src.get("path") or ""
            t = src.get("type") or ""
            if not path.startswith("/"):
                raise KubeError(f"{vwhere}: hostPath {path!r} must be absolute")
            exists = os.path.exists(path)
            if t in ("Directory", "File", "Socket", "CharDevice", "BlockDevice") \
                    and not exists:
                raise KubeError(f"{vwhere}: hostPath {path} ({t}) does not exist")
            if t == "Directory" and not os.path.isdir(path):
                raise KubeError(f"{vwhere}: hostPath {path} is not a directory")
            if t == "File" and not os.path.isfile(path):
                raise KubeError(f"{vwhere}: hostPath {path} is not a file")
            out[vname] = {"kind": "bind", "source": path,
                          "create": t in ("", "DirectoryOrCreate"),
                          "file": t == "FileOrCreate"}
        else:
            ref = src.get("name") if kind == "configMap" else src.get("secretName")
            pool = objects.config_maps if kind == "configMap" else objects.secrets
            data = pool.get(ref or "")
            if data is None:
                if src.get("optional"):
                    data = {}
                else:
                    what = "ConfigMap" if kind == "configMap" else "Secret"
                    raise KubeError(f"{vwhere}: {what} {ref!r} not found (not in the "
                                    "manifests" + (" or --configmap files)" if kind ==
                                                   "configMap" else ")"))
            d = os.path.join(files_dir, vname)
            mode = int(src.get("defaultMode") or (0o644 if kind == "configMap" else 0o644))
            items = src.get("items")
            chosen = [(it["key"], it.get("path") or it["key"], int(it.get("mode") or mode))
                      for it in items] if items else [(k, k, mode) for k in sorted(data)]
            for key, rel, m in chosen:
                if key not in data:
                    if src.get("optional"):
                        continue
                    raise KubeError(f"{vwhere}: key {key!r} is not in {ref}")
                if rel.startswith("/") or ".." in rel.split("/"):
                    raise KubeError(f"{vwhere}: item path {rel!r} must be relative")
                plan.files.append((os.path.join(d, rel), data[key], m))
            plan.files.append((os.path.join(d, ""), b"", 0o755))  # the directory itself
            out[vname] = {"kind": "bind", "source": d, "ro": True}
    return out


def _env(c: dict, objects: Objects, pod: PodPlan, where: str, warn: Warn) -> list[str]:
    env: dict[str, str] = {}
    for i, ref in enumerate(c.get("envFrom") or []):
        prefix = ref.get("prefix") or ""
        for kind, pool, label in (("configMapRef", objects.config_maps, "ConfigMap"),
                                  ("secretRef", objects.secrets, "Secret")):
            if kind not in ref:
                continue
            name = (ref[kind] or {}).get("name") or ""
            data = pool.get(name)
            if data is None:
                if (ref[kind] or {}).get("optional"):
                    continue
                raise KubeError(f"{where} envFrom[{i}]: {label} {name!r} not found")
            for k, v in data.items():
                if names.is_env_name(prefix + k):
                    env[prefix + k] = v.decode(errors="replace")
                else:
                    warn(f"{where}: envFrom {label} {name}: key {k!r} is not a valid "
                         "variable name: skipped")
    for i, e in enumerate(c.get("env") or []):
        name = e.get("name") or ""
        if not names.is_env_name(name):
            raise KubeError(f"{where} env[{i}]: {name!r} is not a valid variable name")
        if "valueFrom" not in e:
            env[name] = str(e.get("value") if e.get("value") is not None else "")
            continue
        vf = e["valueFrom"] or {}
        for kind, pool, label in (("configMapKeyRef", objects.config_maps, "ConfigMap"),
                                  ("secretKeyRef", objects.secrets, "Secret")):
            if kind in vf:
                ref = vf[kind] or {}
                data = pool.get(ref.get("name") or "")
                key = ref.get("key") or ""
                if data is None or key not in data:
                    if ref.get("optional"):
                        break
                    raise KubeError(f"{where} env[{i}]: {label} {ref.get('name')!r} key "
                                    f"{key!r} not found")
                env[name] = data[key].decode(errors="replace")
                break
        else:
            if "fieldRef" in vf:
                path = (vf["fieldRef"] or {}).get("fieldPath") or ""
                value = {"metadata.name": pod.name, "metadata.namespace": "default",
                         "spec.nodeName": os.uname().nodename,
                         "spec.serviceAccountName": "default"}.get(path)
                if value is None and path.startswith("metadata.labels['"):
                    value = pod.labels.get(path[len("metadata.labels['"):-2], "")
                if value is None:
                    warn(f"{where} env[{i}]: fieldRef {path} is not supported: {name} "
                         "left empty")
                    value = ""
                env[name] = value
            else:
                warn(f"{where} env[{i}]: valueFrom {', '.join(vf)} is not supported: "
                     f"{name} left empty")
                env[name] = ""
    return [f"{k}={v}" for k, v in env.items()]


PROBE_FIELDS = {"exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "periodSeconds",
                "timeoutSeconds", "failureThreshold", "successThreshold"}
PROBE_DEFAULTS = {"initialDelaySeconds": 0, "periodSeconds": 10, "timeoutSeconds": 1,
                  "failureThreshold": 3, "successThreshold": 1}


def _probe_port(value: object, own_ports: dict[str, int], where: str) -> int:
    if isinstance(value, str) and not value.isdigit():
        if value not in own_ports:
            raise KubeError(f"{where}: port {value!r} names no port of this container")
        return own_ports[value]
    try:
        port = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise KubeError(f"{where}: port {value!r} must be a number or a port name") from None
    if not 1 <= port <= 65535:
        raise KubeError(f"{where}: port {port} must be 1-65535")
    return port


def _probes(plan: PodPlan, opts: dict, c: dict, own_ports: dict[str, int], where: str,
            warn: Warn) -> None:
    """liveness/readiness/startup probes -> teu.engine.pods.probes.Probe dicts, run by the
    pod's prober (a sh loop and a one-shot per due probe) as the kubelet runs them."""
    from teu.engine.pods.probes import Probe, grpc_available

    for key, kind in (("startupProbe", "startup"), ("livenessProbe", "liveness"),
                      ("readinessProbe", "readiness")):
        p = c.get(key)
        if not p:
            continue
        pwhere = f"{where} {key}"
        _unknown(p, PROBE_FIELDS, pwhere, warn)
        handlers = [h for h in ("exec", "httpGet", "tcpSocket", "grpc") if h in p]
        if len(handlers) != 1:
            raise KubeError(f"{pwhere}: exactly one of exec, httpGet, tcpSocket, grpc is "
                            f"needed ({', '.join(handlers) or 'none'} given)")
        numbers = {}
        for name, default in PROBE_DEFAULTS.items():
            v = p.get(name, default)
            if not isinstance(v, int) or v < (0 if name == "initialDelaySeconds" else 1):
                raise KubeError(f"{pwhere}: {name} {v!r} must be a whole number of at least "
                                f"{0 if name == 'initialDelaySeconds' else 1}")
            numbers[name] = v
        if kind != "readiness" and numbers["successThreshold"] != 1:
            raise KubeError(f"{pwhere}: successThreshold must be 1 for a {kind} probe")
        probe = Probe(opts["name"], kind, "exec", initial_delay=numbers["initialDelaySeconds"],
                      period=numbers["periodSeconds"], timeout=numbers["timeoutSeconds"],
                      failure_threshold=numbers["failureThreshold"],
                      success_threshold=numbers["successThreshold"])
        h = p[handlers[0]] or {}
        if handlers[0] == "exec":
            probe.command = [str(a) for a in h.get("command") or []]
            if not probe.command:
                raise KubeError(f"{pwhere}: exec.command is empty")
        elif handlers[0] == "httpGet":
            _unknown(h, {"port", "path", "host", "scheme", "httpHeaders"}, pwhere, warn)
            probe.action = "http"
            probe.port = _probe_port(h.get("port"), own_ports, f"{pwhere} httpGet")
            probe.path = str(h.get("path") or "/")
            if not probe.path.startswith("/"):
                probe.path = "/" + probe.path
            probe.host = str(h.get("host") or "")
            probe.scheme = str(h.get("scheme") or "HTTP").upper()
            if probe.scheme not in ("HTTP", "HTTPS"):
                raise KubeError(f"{pwhere}: scheme {probe.scheme!r}: HTTP or HTTPS")
            probe.headers = [[str(x.get("name") or ""), str(x.get("value") or "")]
                             for x in h.get("httpHeaders") or []]
        elif handlers[0] == "tcpSocket":
            _unknown(h, {"port", "host"}, pwhere, warn)
            probe.action = "tcp"
            probe.port = _probe_port(h.get("port"), own_ports, f"{pwhere} tcpSocket")
            probe.host = str(h.get("host") or "")
        else:
            _unknown(h, {"port", "service"}, pwhere, warn)
            if not grpc_available():
                warn(f"{pwhere}: a grpc probe needs the Python packages grpcio and "
                     "grpcio-health-checking (pip install grpcio-health-checking): ignored")
                continue
            probe.action = "grpc"
            if not isinstance(h.get("port"), int):
                raise KubeError(f"{pwhere}: grpc.port {h.get('port')!r} must be a number")
            probe.port = _probe_port(h["port"], own_ports, f"{pwhere} grpc")
            probe.service = str(h.get("service") or "")
        plan.probes.append(probe.to_dict())
        opts["no_healthcheck"] = True  # the image's HEALTHCHECK is not Kubernetes'


def _security(opts: dict, pod: dict, c: dict, where: str, warn: Warn) -> None:
    ctx = {**{k: v for k, v in pod.items() if k in ("runAsUser", "runAsGroup",
                                                   "runAsNonRoot", "seccompProfile")},
           **(c.get("securityContext") or {})}
    _unknown(c.get("securityContext") or {}, SECURITY_FIELDS - {"supplementalGroups",
                                                                 "sysctls"},
             f"{where} securityContext", warn)
    if ctx.get("runAsUser") is not None:
        opts["user"] = str(ctx["runAsUser"]) + (f":{ctx['runAsGroup']}"
                                                 if ctx.get("runAsGroup") is not None else "")
    elif ctx.get("runAsGroup") is not None:
        warn(f"{where}: runAsGroup without runAsUser is not supported: ignored")
    if ctx.get("runAsNonRoot") and ctx.get("runAsUser") in (None, 0):
        if ctx.get("runAsUser") == 0:
            raise KubeError(f"{where}: runAsNonRoot with runAsUser 0")
        warn(f"{where}: runAsNonRoot is not checked against the image's user")
    caps = ctx.get("capabilities") or {}
    if caps.get("add"):
        opts["cap_add"] = list(caps["add"])
    if caps.get("drop"):
        opts["cap_drop"] = list(caps["drop"])
    if ctx.get("readOnlyRootFilesystem"):
        opts["read_only"] = True
    if ctx.get("privileged"):
        opts["privileged"] = True
    sec = []
    if ctx.get("allowPrivilegeEscalation") is False:
        sec.append("no-new-privileges")
    prof = ctx.get("seccompProfile") or {}
    if prof.get("type") == "Unconfined":
        sec.append("seccomp=unconfined")
    elif prof.get("type") == "Localhost":
        sec.append(f"seccomp={prof.get('localhostProfile')}")
    if sec:
        opts["security_opt"] = sec
    if pod.get("supplementalGroups"):
        opts["group_add"] = [str(g) for g in pod["supplementalGroups"]]
    if pod.get("sysctls"):
        opts["sysctl"] = [f"{s['name']}={s['value']}" for s in pod["sysctls"]]


def _container(plan: PodPlan, c: dict, volumes: dict[str, dict], objects: Objects,
               pod_security: dict, spec: dict, where: str, warn: Warn, init: bool) -> dict:
    _unknown(c, CONTAINER_FIELDS, where, warn)
    if not c.get("image"):
        raise KubeError(f"{where}: container {c.get('name')!r} has no image")
    opts: dict = {"name": f"{plan.name}-{c['name']}", "image": str(c["image"]),
                  "label": [f"io.kubernetes.container.name={c['name']}"]}
    opts["env"] = _env(c, objects, plan, where, warn)
    values = dict(e.split("=", 1) for e in opts["env"])
    if c.get("command"):
        opts["entrypoint"] = [expand(str(a), values) for a in c["command"]]
    if c.get("args"):
        opts["command"] = [expand(str(a), values) for a in c["args"]]
    if c.get("workingDir"):
        opts["workdir"] = c["workingDir"]
    opts["tty"] = bool(c.get("tty"))
    opts["interactive"] = bool(c.get("stdin"))
    pull = c.get("imagePullPolicy") or "IfNotPresent"
    opts["pull"] = {"Always": "always", "Never": "never"}.get(pull, "missing")
    for i, p in enumerate(c.get("ports") or []):
        cp = p.get("containerPort")
        if not isinstance(cp, int) or not 1 <= cp <= 65535:
            raise KubeError(f"{where} ports[{i}]: containerPort {cp!r} must be 1-65535")
        proto = (p.get("protocol") or "TCP").upper()
        if proto not in ("TCP", "UDP", "SCTP"):
            raise KubeError(f"{where} ports[{i}]: protocol {proto!r}: TCP, UDP or SCTP")
        if p.get("name"):
            plan.port_names[p["name"]] = cp
        hp = p.get("hostPort")
        if hp:
            if init:
                warn(f"{where}: hostPort of an init container is not published")
                continue
            if not isinstance(hp, int) or not 1 <= hp <= 65535:
                raise KubeError(f"{where} ports[{i}]: hostPort {hp!r} must be 1-65535")
            ip = p.get("hostIP") or ""
            plan.publish.append(f"{ip + ':' if ip else ''}{hp}:{cp}/{proto.lower()}")
            plan.host_ports.append((ip, hp, proto))
            plan.host_publish.append((ip, hp, cp, proto))
    res = c.get("resources") or {}
    limits, requests = res.get("limits") or {}, res.get("requests") or {}
    if limits.get("memory") is not None:
        opts["memory"] = str(int(quantity(limits["memory"], f"{where} limits.memory")))
    if limits.get("cpu") is not None:
        opts["cpus"] = str(quantity(limits["cpu"], f"{where} limits.cpu"))
    if requests.get("memory") is not None:
        opts["memory_reservation"] = str(int(quantity(requests["memory"],
                                                      f"{where} requests.memory")))
    if requests.get("cpu") is not None:
        opts["cpu_shares"] = str(max(2, int(1024 * quantity(requests["cpu"],
                                                           f"{where} requests.cpu"))))
    for key in set(limits) | set(requests):
        if key not in ("memory", "cpu"):
            warn(f"{where}: resource {key} is not supported: ignored")
    _security(opts, pod_security, c, where, warn)
    if not init:
        own = {p["name"]: p["containerPort"] for p in c.get("ports") or [] if p.get("name")}
        _probes(plan, opts, c, own, where, warn)
    opts["volume"], opts["tmpfs"] = [], []
    for i, m in enumerate(c.get("volumeMounts") or []):
        vol = volumes.get(m.get("name") or "")
        if vol is None:
            raise KubeError(f"{where} volumeMounts[{i}]: no volume named {m.get('name')!r}")
        target = m.get("mountPath") or ""
        if not target.startswith("/"):
            raise KubeError(f"{where} volumeMounts[{i}]: mountPath {target!r} must be "
                            "absolute")
        ro = bool(m.get("readOnly")) or bool(vol.get("ro"))
        sub = m.get("subPath") or ""
        if sub and (sub.startswith("/") or ".." in sub.split("/")):
            raise KubeError(f"{where} volumeMounts[{i}]: subPath {sub!r} must be relative")
        if vol["kind"] == "tmpfs":
            size = f",size={vol['size']}" if vol.get("size") else ""
            opts["tmpfs"].append(f"{target}:rw{size}")
            continue
        opts["volume"].append({"kind": vol["kind"], "source": vol["source"], "target": target,
                               "ro": ro, "sub": sub, "create": vol.get("create", False)})
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is not None:
        opts["stop_timeout"] = str(int(grace))
    return opts
