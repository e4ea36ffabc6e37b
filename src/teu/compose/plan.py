"""A service of the project model -> the engine's run options (teu.engine.config.options'
input, the names of `teu run`'s long flags), with docker compose's names and labels.
Pure: no engine calls here, so the mapping is unit-tested."""

from __future__ import annotations

from teu.compose.errors import ComposeError
from teu.compose.hashing import config_hash

# Neither typing nor shlex at the top: with `re` they cost ~20 ms of imports on each
# compose command, most of which need no plan.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
NUMBER = "com.docker.compose.container-number"
HASH = "com.docker.compose.config-hash"
ONEOFF = "com.docker.compose.oneoff"
NETWORK = "com.docker.compose.network"
VERSION = "com.docker.compose.version"
VOLUME = "com.docker.compose.volume"
IMAGE = "com.docker.compose.image"
CONFIG_FILES = "com.docker.compose.project.config_files"
WORKING_DIR = "com.docker.compose.project.working_dir"
DEPENDS_ON = "com.docker.compose.depends_on"


def container_name(project: str, service: str, svc: dict, number: int) -> str:
    """docker compose v2's name: container_name, else PROJECT-SERVICE-N."""
    if svc.get("container_name"):
        if number > 1:
            raise ComposeError(f'services.{service}: container_name "{svc["container_name"]}" '
                               "cannot be used with more than one container")
        return svc["container_name"]
    return f"{project}-{service}-{number}"


def network_names(model: dict, svc: dict) -> list[tuple[str, str, dict]]:
    """(key, real name, attachment options) of a service's networks, in a stable order."""
    out = []
    nets = model.get("networks") or {}
    for key, spec in sorted((svc.get("networks") or {}).items()):
        out.append((key, nets.get(key, {}).get("name", key), spec or {}))
    return out


def mounted_files(model: dict, service: str) -> list[dict]:
    """A service's secrets and configs as files to mount: {kind, key, target, mode, uid,
    gid, file | environment | content}. Secrets go under /run/secrets, configs at
    /NAME unless a target says otherwise; readable by all (0444) unless a mode is given,
    as docker compose mounts them, so a non-root USER can read them."""
    svc = model["services"][service]
    out = []
    for kind in ("secrets", "configs"):
        top = model.get(kind) or {}
        for ref in svc.get(kind) or []:
            key = ref["source"]
            spec = top.get(key)
            if spec is None:
                raise ComposeError(f"service {service!r} refers to undefined "
                                   f"{kind[:-1]} {key}")
            if spec.get("external"):
                raise ComposeError(f"{kind[:-1]} {key}: external {kind} are swarm's and "
                                   "not supported by teu compose")
            target = ref.get("target") or (f"/run/secrets/{key}" if kind == "secrets"
                                           else f"/{key}")
            if not target.startswith("/"):
                target = (f"/run/secrets/{target}" if kind == "secrets" else f"/{target}")
            mode = ref.get("mode")
            entry = {"kind": kind, "key": key, "target": target,
                     "mode": 0o444 if mode is None else (int(mode, 8) if isinstance(mode, str)
                                                         else int(mode)),
                     "uid": ref.get("uid"), "gid": ref.get("gid")}
            for source in ("file", "environment", "content"):
                if spec.get(source) is not None:
                    entry[source] = spec[source]
                    break
            else:
                raise ComposeError(f"{kind[:-1]} {key}: one of file, environment or content "
                                   "is required")
            out.append(entry)
    return out


def run_options(model: dict, service: str, number: int = 1,
                image_id: str = "") -> dict[str, Any]:
    """The engine's options for container `number` of `service` (`image_id`: the ID of
    its image, kept in a label so that a rebuilt image recreates the container)."""
    from teu.compose.images import image_of

    project = model["name"]
    svc = model["services"][service]
    labels = {PROJECT: project, SERVICE: service, NUMBER: str(number), ONEOFF: "False",
              HASH: config_hash(svc), VERSION: "2.40.3"}
    if image_id:
        labels[IMAGE] = image_id
    labels.update(svc.get("labels") or {})
    opts: dict[str, Any] = {
        "detach": True,
        "name": container_name(project, service, svc, number),
        "image": image_of(model, service),
        "command": svc.get("command"),
        "label": [f"{k}={v}" for k, v in labels.items()],
        "env": [k if v is None else f"{k}={v}" for k, v in
                (svc.get("environment") or {}).items()],
    }
    if svc.get("entrypoint") is not None:
        ep = svc["entrypoint"]
        opts["entrypoint"] = _join(ep) if isinstance(ep, list) else ep
    if svc.get("network_mode"):
        opts["network"] = [svc["network_mode"]]
    else:
        nets = network_names(model, svc)
        opts["network"] = [real for _, real, _ in nets]
        aliases = [service]
        for i, (key, _, spec) in enumerate(nets):
            aliases.extend(a for a in spec.get("aliases") or [] if a not in aliases)
            for field, flag in (("ipv4_address", "ip"), ("ipv6_address", "ip6"),
                                ("mac_address", "mac_address")):
                if spec.get(field):
                    if i:
                        raise ComposeError(f"services.{service}.networks.{key}.{field}: "
                                           "only the first network (by name) can have a "
                                           "fixed address in teu compose yet")
                    opts[flag] = spec[field]
        opts["network_alias"] = aliases
    for key, flag in (("hostname", "hostname"), ("user", "user"), ("working_dir", "workdir"),
                      ("stop_signal", "stop_signal"), ("init", "init"),
                      ("privileged", "privileged"), ("read_only", "read_only")):
        if svc.get(key) is not None:
            opts[flag] = svc[key]
    if svc.get("restart"):
        opts["restart"] = svc["restart"]
    if svc.get("stop_grace_period"):
        from teu.compose.units import nanoseconds

        opts["stop_timeout"] = nanoseconds(svc["stop_grace_period"], "stop_grace_period") \
            // 1_000_000_000
    for key in ("cap_add", "cap_drop", "tmpfs", "dns", "security_opt"):
        if svc.get(key):
            opts[key] = list(svc[key])
    publish = []
    for p in svc.get("ports") or []:
        spec = f"{p['target']}/{p.get('protocol', 'tcp')}"
        if p.get("published"):
            spec = f"{p['published']}:{spec}"
            if p.get("host_ip"):
                spec = f"{p['host_ip']}:{spec}"
        publish.append(spec)
    if publish:
        opts["publish"] = publish
    volumes = []
    for v in svc.get("volumes") or []:
        src = v.get("source") or ""
        if v.get("type") == "volume" and src:
            src = (model.get("volumes") or {}).get(src, {}).get("name", src)
        if v.get("type") in ("bind", "volume"):
            spec = f"{src}:{v['target']}" if src else v["target"]
            volumes.append(spec + (":ro" if v.get("read_only") else ""))
    if volumes:
        opts["volume"] = volumes
    limits = ((svc.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    if limits.get("memory"):
        opts["memory"] = str(limits["memory"])
    if limits.get("cpus"):
        opts["cpus"] = str(limits["cpus"])
    if limits.get("pids"):
        opts["pids_limit"] = int(limits["pids"])
    hc = svc.get("healthcheck") or {}
    if hc.get("disable"):
        opts["no_healthcheck"] = True
    elif hc.get("test"):
        test = hc["test"]
        if test[0] == "NONE":
            opts["no_healthcheck"] = True
        else:
            opts["health_cmd"] = test[1] if test[0] == "CMD-SHELL" else _join(test[1:])
        for key in ("interval", "timeout", "start_period", "start_interval"):
            if hc.get(key):
                opts[f"health_{key}"] = hc[key]
        if hc.get("retries") is not None:
            opts["health_retries"] = int(hc["retries"])
    return opts


def _join(args: list) -> str:
    import shlex

    return shlex.join(args)
