"""Short syntax to the long syntax docker compose prints (compose-go's transform):
ports, volumes, environment, labels, depends_on, secrets, configs, healthcheck,
command/entrypoint, expose, networks, build, env_file. Applied to each file before
merging, so entries with the same unique key (a volume's target...) merge."""

from __future__ import annotations

import shlex
from typing import Any

from teu.compose.errors import ComposeError


def _kv_list_to_dict(value: Any, what: str, null_missing: bool = True) -> dict:
    """`[K=V, K2]` or `{K: V}` to a dict; a bare `K` maps to None."""
    if isinstance(value, dict):
        return {str(k): _scalar_text(v) for k, v in value.items()}
    if isinstance(value, list):
        out: dict = {}
        for item in value:
            k, eq, v = str(item).partition("=")
            out[k] = v if eq else (None if null_missing else "")
        return out
    raise ComposeError(f"{what} must be a mapping or a list")


def _scalar_text(v: Any) -> Any:
    from teu.compose.yamlfile import Reset

    if v is None or isinstance(v, (str, Reset)):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def command(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as e:
            raise ComposeError(f"invalid command line {value!r}: {e}") from None
    return value


def ports(value: list, where: str) -> list:
    out: list = []
    for item in value:
        if isinstance(item, dict):
            p = dict(item)
            p.setdefault("mode", "ingress")
            p.setdefault("protocol", "tcp")
            if "published" in p and p["published"] is not None:
                p["published"] = str(p["published"])
            out.append(p)
        else:
            out.extend(_short_port(str(item), where))
    return out


def _short_port(text: str, where: str) -> list:
    """`[IP:][HOST[-END]:]CONTAINER[-END][/PROTO]`: docker's -p grammar, read by
    teu.network.ports, one long-syntax entry per container port."""
    from teu.network.errors import NetworkError
    from teu.network.ports import publish_entries

    try:
        entries = publish_entries(text)
    except NetworkError:
        raise ComposeError(f"{where}: invalid port {text!r}") from None
    out = []
    for host_ip, published, target, proto in entries:
        entry: dict = {"mode": "ingress"}
        if host_ip:
            entry["host_ip"] = host_ip
        entry["target"] = target
        if published:
            entry["published"] = published
        entry["protocol"] = proto
        out.append(entry)
    return out


def volumes(value: list, where: str, workdir: str) -> list:
    out = []
    for item in value:
        if isinstance(item, dict):
            v = dict(item)
            if v.get("type") == "bind" and v.get("source"):
                v["source"] = _host_path(str(v["source"]), workdir)
            out.append(v)
        else:
            out.append(_short_volume(str(item), where, workdir))
    return out


def _host_path(src: str, workdir: str) -> str:
    import os

    if src.startswith("~"):
        src = os.path.expanduser(src)
    return os.path.normpath(os.path.join(workdir, src))


def _short_volume(text: str, where: str, workdir: str) -> dict:
    parts = text.split(":")
    if len(parts) == 1:
        anon: dict = {"type": "volume", "target": parts[0]}
        if len(parts[0]) > 2:
            # compose-go's quirk, kept so `config` prints the same: its parser takes a
            # two-character spec for a Windows drive and leaves `volume` out.
            anon["volume"] = {}
        return anon
    if len(parts) > 3:
        raise ComposeError(f"{where}: invalid volume {text!r}: too many colons")
    src, target = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else ""
    if not target:
        raise ComposeError(f"{where}: invalid volume {text!r}: empty target")
    is_path = src.startswith((".", "/", "~"))
    v: dict = {"type": "bind" if is_path else "volume",
               "source": _host_path(src, workdir) if is_path else src, "target": target}
    opts = [o for o in mode.split(",") if o]
    if "ro" in opts:
        v["read_only"] = True
    if is_path:
        bind: dict = {"create_host_path": True}
        for o in opts:
            if o in ("z", "Z"):
                bind["selinux"] = o
            elif o in ("shared", "rshared", "slave", "rslave", "private", "rprivate"):
                bind["propagation"] = o
        v["bind"] = bind
    else:
        v["volume"] = {"nocopy": True} if "nocopy" in opts else {}
    return v


def files_ref(value: list, kind: str) -> list:
    """secrets:/configs: short names to {source, target}."""
    out = []
    for item in value:
        if isinstance(item, dict):
            out.append(dict(item))
        else:
            out.append({"source": str(item)})
    for entry in out:
        if kind != "secrets":
            continue
        if "target" not in entry and "source" in entry:
            entry["target"] = f"/run/secrets/{entry['source']}"
        elif not str(entry.get("target", "/")).startswith("/"):
            entry["target"] = f"/run/secrets/{entry['target']}"
    return out


def depends_on(value: Any) -> dict:
    if isinstance(value, list):
        return {str(s): {"condition": "service_started", "required": True} for s in value}
    out = {}
    for name, spec in (value or {}).items():
        spec = dict(spec or {})
        spec.setdefault("condition", "service_started")
        spec.setdefault("required", True)
        out[name] = spec
    return out


def healthcheck(value: dict) -> dict:
    hc = dict(value)
    test = hc.get("test")
    if isinstance(test, str):
        hc["test"] = ["CMD-SHELL", test]
    return hc


def networks(value: Any) -> dict:
    if isinstance(value, list):
        return {str(n): None for n in value}
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in (value or {}).items()}


def build(value: Any, workdir: str) -> dict:
    """Long form, the context made absolute against the file's directory (not a URL)."""
    import os

    out = {"context": value} if isinstance(value, str) else dict(value)
    ctx = str(out.get("context") or ".")
    if "://" not in ctx and not ctx.startswith("git@"):
        out["context"] = os.path.normpath(os.path.join(workdir, ctx))
    return out


def env_files(value: Any) -> list:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        entry = {"path": item} if isinstance(item, str) else dict(item)
        entry.setdefault("required", True)
        out.append(entry)
    return out


def service(svc: dict, name: str, workdir: str) -> dict:
    """One service in canonical form (a new dict; unknown keys kept as written)."""
    from teu.compose.yamlfile import Override, Reset

    where = f"services.{name}"
    # Tagged values (!override, !reset) are made canonical inside their tag.
    resets = {k: v for k, v in svc.items() if isinstance(v, Reset)}
    overrides = {k for k, v in svc.items() if isinstance(v, Override)}
    out = {k: (v.value if k in overrides else v) for k, v in svc.items() if k not in resets}
    out = _service(out, where, workdir)
    for k in overrides:
        if k in out:
            out[k] = Override(out[k])
    out.update(resets)
    return out


def _service(out: dict, where: str, workdir: str) -> dict:
    for key in ("command", "entrypoint"):
        if key in out and out[key] is not None:
            out[key] = command(out[key])
    for key in ("environment", "labels", "annotations", "sysctls"):
        if key in out and out[key] is not None:
            out[key] = _kv_list_to_dict(out[key], f"{where}.{key}", key == "environment")
    if out.get("ports") is not None:
        out["ports"] = ports(out["ports"], f"{where}.ports")
    if out.get("expose") is not None:
        out["expose"] = [str(e) for e in out["expose"]]
    if out.get("volumes") is not None:
        out["volumes"] = volumes(out["volumes"], f"{where}.volumes", workdir)
    for kind in ("secrets", "configs"):
        if out.get(kind) is not None:
            out[kind] = files_ref(out[kind], kind)
    if "depends_on" in out:
        out["depends_on"] = depends_on(out["depends_on"])
    if isinstance(out.get("healthcheck"), dict):
        out["healthcheck"] = healthcheck(out["healthcheck"])
    if "networks" in out:
        out["networks"] = networks(out["networks"])
    if "build" in out and out["build"] is not None:
        out["build"] = build(out["build"], workdir)
    if out.get("env_file") is not None:
        out["env_file"] = env_files(out["env_file"])
    if isinstance(out.get("extra_hosts"), dict):
        out["extra_hosts"] = [f"{k}={v}" for k, v in out["extra_hosts"].items()]
    elif isinstance(out.get("extra_hosts"), list):
        out["extra_hosts"] = [str(e).replace(":", "=", 1) if "=" not in str(e) else str(e)
                              for e in out["extra_hosts"]]
    if isinstance(out.get("sysctls"), dict):
        out["sysctls"] = {k: _scalar_text(v) for k, v in out["sysctls"].items()}
    if isinstance(out.get("devices"), list):
        out["devices"] = [_device(d) for d in out["devices"]]
    for key in ("dns", "dns_search", "tmpfs", "cap_add", "cap_drop", "profiles"):
        if isinstance(out.get(key), str):
            out[key] = [out[key]]
    if isinstance(out.get("develop"), dict) and isinstance(out["develop"].get("watch"), list):
        out["develop"] = {**out["develop"],
                          "watch": [watch_rule(r, workdir) for r in out["develop"]["watch"]]}
    return out


def watch_rule(rule: Any, workdir: str) -> Any:
    """develop.watch entry as compose-go has it: path absolute against the file's
    directory, keys in its order (path, action, target, exec, ignore, include,
    initial_sync), an `exec` with a null command."""
    import os

    if not isinstance(rule, dict):
        return rule
    out: dict = {}
    if "path" in rule:
        out["path"] = os.path.normpath(os.path.join(workdir, str(rule["path"])))
    for key in ("action", "target"):
        if key in rule:
            out[key] = rule[key]
    out["exec"] = rule.get("exec") or {"command": None}
    for key, value in rule.items():
        if key not in out:
            out[key] = value
    return out



def _device(item: Any) -> Any:
    if isinstance(item, dict):
        return item
    parts = str(item).split(":")
    src = parts[0]
    target = parts[1] if len(parts) > 1 else src
    perms = parts[2] if len(parts) > 2 else "rwm"
    return {"source": src, "target": target, "permissions": perms}
