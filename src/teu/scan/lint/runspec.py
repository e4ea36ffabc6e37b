"""`teu lint --run "teu run ..."`: the CLI parses the line with teu run's own flag table
and hands the options here (a dict keyed as teu.cli._flags names them)."""

from __future__ import annotations

from typing import Any

from teu.scan.lint.container import ContainerSpec, check
from teu.scan.lint.findings import LintFinding


def spec_from_run(opts: dict[str, Any], image: str, image_config: dict | None = None
                  ) -> ContainerSpec:
    env = {}
    for e in opts.get("env", []) or []:
        name, eq, value = e.partition("=")
        if eq:
            env[name] = value
    hosts = []
    for key, ns in (("network", "network"), ("net", "network"), ("pid", "pid"), ("ipc", "ipc"),
                    ("uts", "uts"), ("userns", "user")):
        value = opts.get(key)
        values = value if isinstance(value, list) else [value]   # --network is repeatable
        if "host" in values and ns not in hosts:
            hosts.append(ns)
    ports = []
    for p in (opts.get("publish", []) or []) + (opts.get("expose", []) or []):
        ports.append(str(p).rsplit(":", 1)[-1])
    cfg = (image_config or {}).get("config") or {}
    health: bool | None = None
    if opts.get("no_healthcheck"):
        health = False
    elif opts.get("health_cmd"):
        health = True
    elif image_config is not None:
        test = (cfg.get("Healthcheck") or {}).get("Test") or []
        health = bool(test) and test[0] != "NONE"
        ports += list((cfg.get("ExposedPorts") or {}).keys())
    pids = opts.get("pids_limit")
    return ContainerSpec(
        where=f"teu run {image}", image=image, user=opts.get("user"),
        image_user=cfg.get("User", "") if image_config is not None else None,
        memory_limit=bool(opts.get("memory")),
        cpu_limit=bool(opts.get("cpus") or opts.get("cpu_quota") or opts.get("cpuset_cpus")),
        pids_limit=pids is not None and str(pids) not in ("", "-1", "0"),
        privileged=bool(opts.get("privileged")), cap_add=list(opts.get("cap_add", []) or []),
        host_namespaces=hosts, read_only=bool(opts.get("read_only")), ports=ports, env=env,
        healthcheck=health)


def lint_run(opts: dict[str, Any], image: str, image_config: dict | None = None
             ) -> list[LintFinding]:
    return check(spec_from_run(opts, image, image_config), "--run")
