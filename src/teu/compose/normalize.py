"""Defaults and checks after merging, as compose-go's normalisation does: the default
network, resource names (`PROJECT_NAME`), absolute build contexts and file paths,
sizes in bytes, and the references between services and resources."""

from __future__ import annotations

import os
from typing import Any

from teu.compose.errors import ComposeError
from teu.compose.units import bytes_of, go_duration, nanoseconds

_INVALID = ": invalid compose project"


def normalize(model: dict, name: str, project_dir: str) -> dict:
    import copy

    out: dict = {"name": name}
    # Merges and extends share unchanged parts between services; defaults are filled
    # in place below, so each service gets its own copy first.
    services = copy.deepcopy(model.get("services") or {})
    for kind in ("networks", "volumes", "secrets", "configs"):
        model[kind] = dict(model.get(kind) or {})
    uses_default = False
    for svc_name, svc in services.items():
        if "networks" not in svc and not svc.get("network_mode"):
            svc["networks"] = {"default": None}
        if "default" in (svc.get("networks") or {}):
            uses_default = True
        _service(svc, svc_name, project_dir)
    if uses_default and "default" not in model["networks"]:
        model["networks"]["default"] = {}
    _check_refs(services, model)
    for kind in ("networks", "volumes", "secrets", "configs"):
        for key, res in model[kind].items():
            res = dict(res or {})
            ext = res.get("external")
            if isinstance(ext, dict):  # the old `external: {name: x}` form
                res["external"] = True
                res.setdefault("name", ext.get("name", key))
            if res.get("external"):
                res.setdefault("name", key)
            else:
                res.setdefault("name", f"{name}_{key}")
            if kind in ("secrets", "configs") and res.get("file"):
                res["file"] = os.path.normpath(os.path.join(project_dir, str(res["file"])))
            if kind == "networks" and isinstance(res.get("labels"), list):
                res["labels"] = dict(str(x).partition("=")[::2] for x in res["labels"])
            model[kind][key] = res
    out["services"] = services
    for kind in ("networks", "volumes", "secrets", "configs"):
        if model[kind]:
            out[kind] = model[kind]
    for key, value in model.items():
        if key.startswith("x-"):
            out[key] = value
    return out


def _service(svc: dict, name: str, project_dir: str) -> None:
    where = f"services.{name}"
    if "image" not in svc and "build" not in svc:
        raise ComposeError(f'service "{name}" has neither an image nor a build context '
                           f"specified{_INVALID}")
    build = svc.get("build")
    if isinstance(build, dict):
        build.setdefault("context", project_dir)
        if "dockerfile_inline" not in build:
            build.setdefault("dockerfile", "Dockerfile")
        if isinstance(build.get("args"), list):
            build["args"] = {k: v for k, _, v in
                             (str(a).partition("=") for a in build["args"])}
        if isinstance(build.get("labels"), list):
            build["labels"] = dict(str(x).partition("=")[::2] for x in build["labels"])
    deploy = svc.get("deploy")
    if isinstance(deploy, dict):
        res = deploy.get("resources") or {}
        for part in ("limits", "reservations"):
            spec = res.get(part)
            if isinstance(spec, dict):
                if "memory" in spec:
                    spec["memory"] = str(bytes_of(spec["memory"], f"{where}.deploy.resources"
                                                  f".{part}.memory"))
                if "cpus" in spec:
                    try:
                        spec["cpus"] = float(spec["cpus"])
                    except (TypeError, ValueError):
                        raise ComposeError(f"{where}.deploy.resources.{part}.cpus: invalid "
                                           f"value {spec['cpus']!r}") from None
    for key in ("mem_limit", "mem_reservation", "memswap_limit", "shm_size"):
        if key in svc:
            svc[key] = str(bytes_of(svc[key], f"{where}.{key}"))
    hc = svc.get("healthcheck")
    if isinstance(hc, dict):
        for key in ("interval", "timeout", "start_period", "start_interval"):
            if key in hc:
                hc[key] = go_duration(nanoseconds(hc[key], f"{where}.healthcheck.{key}"))
    if "stop_grace_period" in svc:
        svc["stop_grace_period"] = go_duration(nanoseconds(svc["stop_grace_period"],
                                                           f"{where}.stop_grace_period"))


def _check_refs(services: dict, model: dict) -> None:
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            if dep not in services and (spec or {}).get("required", True) is not False:
                raise ComposeError(f'service "{name}" depends on undefined service '
                                   f'"{dep}"{_INVALID}')
        for net in svc.get("networks") or {}:
            if net not in model["networks"] and net != "default":
                raise ComposeError(f'service "{name}" refers to undefined network '
                                   f'{net}{_INVALID}')
        for vol in svc.get("volumes") or []:
            src = vol.get("source") if isinstance(vol, dict) else None
            if vol.get("type") == "volume" and src and src not in model["volumes"]:
                raise ComposeError(f'service "{name}" refers to undefined volume '
                                   f'{src}{_INVALID}')
        for kind in ("secrets", "configs"):
            for ref in svc.get(kind) or []:
                if ref.get("source") not in model[kind]:
                    raise ComposeError(f'service "{name}" refers to undefined '
                                       f'{kind[:-1]} {ref.get("source")}{_INVALID}')
    _check_cycles(services)


def _check_cycles(services: dict) -> None:
    state: dict[str, int] = {}

    def visit(n: str, trail: list[str]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            cycle = trail[trail.index(n):] + [n]
            raise ComposeError(f"dependency cycle detected: {' -> '.join(cycle)}")
        state[n] = 1
        for dep in (services.get(n, {}).get("depends_on") or {}):
            if dep in services:
                visit(dep, trail + [n])
        state[n] = 2

    for n in services:
        visit(n, [])


def service_order(services: dict[str, Any]) -> list[str]:
    """Service names with every dependency before its dependants (start order)."""
    done: list[str] = []

    def visit(n: str) -> None:
        if n in done:
            return
        for dep in services[n].get("depends_on") or {}:
            if dep in services:
                visit(dep)
        done.append(n)

    for n in sorted(services):
        visit(n)
    return done


def with_dependencies(services: dict[str, Any], names: list[str]) -> set[str]:
    """`names` and every service they depend on, transitively."""
    keep: set[str] = set()
    todo = list(names)
    while todo:
        n = todo.pop()
        if n in keep or n not in services:
            continue
        keep.add(n)
        todo.extend(services[n].get("depends_on") or {})
    return keep
