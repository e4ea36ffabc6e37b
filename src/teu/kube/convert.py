"""Docker's and Compose's values in Kubernetes' terms (pure): quantities, seconds,
restart policies, health checks, security contexts, ENTRYPOINT/CMD -> command/args."""

from __future__ import annotations

from collections.abc import Callable

from teu.kube.model import Probe

Note = Callable[[str], None]


def memory(n: int) -> str:
    """Bytes as a Kubernetes quantity: 64Mi, 1Gi, or plain bytes."""
    for unit, size in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def cpus(nano: int) -> str:
    """NanoCpus as a quantity: 1, 500m."""
    milli = round(nano / 1_000_000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def seconds(ns: int | float | None, default: int) -> int:
    if not ns:
        return default
    return max(1, round(ns / 1e9))


def restart_policy(name: str, note: Note, what: str) -> str:
    """docker's restart policy -> Pod restartPolicy ("" when none was set)."""
    if not name:
        return ""
    name = name.split(":", 1)[0]
    if name in ("always", "unless-stopped"):
        if name == "unless-stopped":
            note(f"{what}: restart 'unless-stopped' written as restartPolicy Always")
        return "Always"
    if name == "on-failure":
        return "OnFailure"
    return "Never"


def probe(test: list[str] | None, interval_ns: int, timeout_ns: int, retries: int,
          start_ns: int, note: Note, what: str) -> Probe | None:
    """A HEALTHCHECK (["CMD", ...] or ["CMD-SHELL", "..."]) as an exec probe."""
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        command = list(test[1:])
    elif test[0] == "CMD-SHELL":
        command = ["/bin/sh", "-c", " ".join(test[1:])]
    else:
        note(f"{what}: health check {test!r} cannot be expressed as a probe: dropped")
        return None
    return Probe(command, seconds(interval_ns, 30), seconds(timeout_ns, 30),
                 retries or 3, seconds(start_ns, 0) if start_ns else 0)


def user_context(user: str, note: Note, what: str) -> dict:
    """USER uid[:gid] -> runAsUser/runAsGroup (Kubernetes takes numbers only)."""
    if not user:
        return {}
    uid, _, gid = user.partition(":")
    out: dict = {}
    if uid.isdigit():
        out["runAsUser"] = int(uid)
    else:
        note(f"{what}: user {uid!r} is a name: Kubernetes' runAsUser needs a number, "
             "so it is not written (the image's user applies)")
    if gid.isdigit():
        out["runAsGroup"] = int(gid)
    elif gid:
        note(f"{what}: group {gid!r} is a name: runAsGroup not written")
    return out


def security_context(user: str, cap_add: list[str], cap_drop: list[str], read_only: bool,
                     privileged: bool, security_opt: list[str], note: Note,
                     what: str) -> dict:
    ctx = user_context(user, note, what)
    caps: dict = {}
    if cap_add:
        caps["add"] = [_cap(c) for c in cap_add]
    if cap_drop:
        caps["drop"] = [_cap(c) for c in cap_drop]
    if caps:
        ctx["capabilities"] = caps
    if read_only:
        ctx["readOnlyRootFilesystem"] = True
    if privileged:
        ctx["privileged"] = True
    for opt in security_opt:
        key, _, value = opt.replace("=", ":", 1).partition(":")
        if key == "no-new-privileges" and value in ("", "true"):
            ctx["allowPrivilegeEscalation"] = False
        elif key == "seccomp":
            if value == "unconfined":
                ctx["seccompProfile"] = {"type": "Unconfined"}
            else:
                ctx["seccompProfile"] = {"type": "Localhost", "localhostProfile": value}
                note(f"{what}: seccomp profile {value} written as a Localhost profile: "
                     "it must exist on the node under the kubelet's seccomp directory")
        elif key in ("label", "apparmor"):
            note(f"{what}: security option {opt!r} cannot be expressed: dropped")
        elif key:
            note(f"{what}: security option {opt!r} cannot be expressed: dropped")
    return ctx


def _cap(name: str) -> str:
    name = name.upper()
    return name[4:] if name.startswith("CAP_") else name


def command_args(entrypoint: list[str] | None, cmd: list[str] | None,
                 image_entrypoint: list[str] | None, image_cmd: list[str] | None
                 ) -> tuple[list[str] | None, list[str] | None]:
    """Kubernetes' rules: `command` replaces ENTRYPOINT and, when given, the image's CMD
    too; `args` alone replaces CMD and keeps ENTRYPOINT. So: an entrypoint that is not
    the image's becomes command (with args = the command line's CMD, even if empty); a
    CMD that is not the image's becomes args; what equals the image's is left out."""
    entrypoint = list(entrypoint or [])
    cmd = list(cmd or [])
    if entrypoint != list(image_entrypoint or []):
        if not entrypoint:  # --entrypoint "": the command line alone runs, as command
            return (cmd or None), None
        return entrypoint, (cmd or None)
    if cmd != list(image_cmd or []):
        return None, cmd
    return None, None


def kube_probe(p: dict) -> dict:
    """A probe kube play recorded (teu.engine.pods.probes.Probe's dict) as Kubernetes
    writes it, only what differs from Kubernetes' defaults."""
    if p["action"] == "http":
        handler: dict = {"httpGet": {"path": p.get("path") or "/", "port": p["port"]}}
        if p.get("host"):
            handler["httpGet"]["host"] = p["host"]
        if (p.get("scheme") or "HTTP") != "HTTP":
            handler["httpGet"]["scheme"] = p["scheme"]
        if p.get("headers"):
            handler["httpGet"]["httpHeaders"] = [{"name": n, "value": v}
                                                 for n, v in p["headers"]]
    elif p["action"] == "tcp":
        handler = {"tcpSocket": {"port": p["port"], **({"host": p["host"]} if p.get("host")
                                                       else {})}}
    elif p["action"] == "grpc":
        handler = {"grpc": {"port": p["port"], **({"service": p["service"]}
                                                  if p.get("service") else {})}}
    else:
        handler = {"exec": {"command": list(p.get("command") or [])}}
    for key, field_name, default in (("initial_delay", "initialDelaySeconds", 0),
                                     ("period", "periodSeconds", 10),
                                     ("timeout", "timeoutSeconds", 1),
                                     ("failure_threshold", "failureThreshold", 3),
                                     ("success_threshold", "successThreshold", 1)):
        if p.get(key, default) != default:
            handler[field_name] = int(p[key])
    return handler
