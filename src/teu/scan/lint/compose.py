"""Lint rules over a Compose file's services (the Compose specification's keys)."""

from __future__ import annotations

from typing import Any

from teu.scan.errors import ScanError
from teu.scan.lint.container import ContainerSpec, check
from teu.scan.lint.findings import LintFinding


def _lines(text: str) -> dict[str, int]:
    """Line of each service's key (yaml nodes keep their marks)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    out: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if k.value == "services" and isinstance(v, yaml.MappingNode):
                for sk, _ in v.value:
                    out[str(sk.value)] = sk.start_mark.line + 1
    return out


def _env(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    out = {}
    for item in value or []:
        name, eq, val = str(item).partition("=")
        if eq:
            out[name] = val
    return out


def _ports(svc: dict) -> list[str]:
    out = []
    for p in svc.get("ports") or []:
        if isinstance(p, dict):
            out.append(str(p.get("target", "")))
        else:
            s = str(p).split("/")[0]
            out.append(s.rsplit(":", 1)[-1].split("-")[0])
    out += [str(e).split("/")[0] for e in svc.get("expose") or []]
    return out


def service_spec(name: str, svc: dict) -> ContainerSpec:
    limits = ((svc.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    hosts = [ns for key, ns in (("network_mode", "network"), ("pid", "pid"), ("ipc", "ipc"),
                                ("uts", "uts"), ("userns_mode", "user"))
             if str(svc.get(key, "")) == "host"]
    hc = svc.get("healthcheck")
    health = bool(hc) and not (isinstance(hc, dict) and hc.get("disable"))
    return ContainerSpec(
        where=f"service {name}", image=str(svc.get("image", "") or ""),
        user=str(svc["user"]) if svc.get("user") is not None else None,
        memory_limit=bool(svc.get("mem_limit") or limits.get("memory")),
        cpu_limit=bool(svc.get("cpus") or svc.get("cpu_quota") or limits.get("cpus")),
        pids_limit=bool(svc.get("pids_limit") or limits.get("pids")),
        privileged=bool(svc.get("privileged")), cap_add=[str(c) for c in svc.get("cap_add")
                                                          or []],
        host_namespaces=hosts, read_only=bool(svc.get("read_only")), ports=_ports(svc),
        env=_env(svc.get("environment")), healthcheck=health)


def lint_compose(text: str, file: str) -> list[LintFinding]:
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ScanError(f"{file}{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        raise ScanError(f"{file}: not a Compose file (no services)")
    lines = _lines(text)
    out: list[LintFinding] = []
    for name, svc in doc["services"].items():
        if isinstance(svc, dict):
            out += check(service_spec(str(name), svc), file, lines.get(str(name), 0))
    return out
