"""The keys the Compose Specification allows, to refuse typos with the key path,
the file and line, and a "did you mean"."""

from __future__ import annotations

from typing import Any

from teu.compose.errors import ComposeError

TOP = {"version", "name", "include", "services", "networks", "volumes", "secrets",
       "configs", "models"}

SERVICE = {
    "annotations", "attach", "build", "blkio_config", "cap_add", "cap_drop", "cgroup",
    "cgroup_parent", "command", "configs", "container_name", "cpu_count", "cpu_percent",
    "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus",
    "cpuset", "credential_spec", "depends_on", "deploy", "develop", "device_cgroup_rules",
    "devices", "dns", "dns_opt", "dns_search", "domainname", "entrypoint", "env_file",
    "environment", "expose", "extends", "external_links", "extra_hosts", "gpus",
    "group_add", "healthcheck", "hostname", "image", "init", "ipc", "isolation", "labels",
    "label_file", "links", "logging", "mac_address", "mem_limit", "mem_reservation",
    "mem_swappiness", "memswap_limit", "models", "network_mode", "networks", "oom_kill_disable",
    "oom_score_adj", "pid", "pids_limit", "platform", "ports", "post_start", "pre_stop",
    "privileged", "profiles", "provider", "pull_policy", "read_only", "restart", "runtime",
    "scale", "secrets", "security_opt", "shm_size", "stdin_open", "stop_grace_period",
    "stop_signal", "storage_opt", "sysctls", "tmpfs", "tty", "ulimits", "use_api_socket",
    "user", "userns_mode", "uts", "volumes", "volumes_from", "working_dir",
}

# Expected types of a few attributes, checked with their line.
_TYPES: dict[str, tuple[type, ...]] = {
    "image": (str,), "container_name": (str,), "hostname": (str,), "user": (str, int),
    "working_dir": (str,), "restart": (str,), "privileged": (bool,), "read_only": (bool,),
    "init": (bool,), "tty": (bool,), "stdin_open": (bool,), "ports": (list,),
    "volumes": (list,), "expose": (list,), "profiles": (list,), "cap_add": (list,),
    "cap_drop": (list,), "command": (str, list), "entrypoint": (str, list),
    "environment": (dict, list), "labels": (dict, list), "depends_on": (dict, list),
    "networks": (dict, list), "build": (str, dict), "env_file": (str, list),
    "healthcheck": (dict,), "deploy": (dict,), "extends": (str, dict), "scale": (int,),
}


def _hint(key: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check(doc: dict, file: str) -> None:
    """ComposeError at the first unknown key or wrong type in one parsed file."""
    from teu.compose.yamlfile import Override, Reset, line_of

    def fail(node: Any, key: Any, text: str) -> None:
        line = line_of(node, key)
        raise ComposeError(f"{file}{':' + str(line) if line else ''}: {text}")

    for key in doc:
        if not isinstance(key, str) or (key not in TOP and not key.startswith("x-")):
            fail(doc, key, f"additional properties {str(key)!r} not allowed"
                 + _hint(str(key), TOP))
    services = doc.get("services")
    if services is None:
        return
    if not isinstance(services, dict):
        fail(doc, "services", "services must be a mapping")
    for name, svc in services.items():
        if svc is None:
            continue
        if isinstance(svc, (Reset, Override)):
            continue
        if not isinstance(svc, dict):
            fail(services, name, f"services.{name} must be a mapping")
        for key, value in svc.items():
            if not isinstance(key, str) or (key not in SERVICE and not key.startswith("x-")):
                fail(svc, key, f"services.{name} additional properties {str(key)!r} not "
                     "allowed" + _hint(str(key), SERVICE))
            want = _TYPES.get(key)
            if want and value is not None and not isinstance(value, (Reset, Override)):
                ok = isinstance(value, want) and not (bool not in want and isinstance(value, bool))
                if not ok and not isinstance(value, str):
                    names = " or ".join(_TYPE_NAMES[t] for t in want)
                    fail(svc, key, f"services.{name}.{key} must be a {names}")
                if not ok and bool in want and value not in ("true", "false"):
                    fail(svc, key, f"services.{name}.{key} must be a boolean")


_TYPE_NAMES = {str: "string", int: "number", bool: "boolean", list: "list", dict: "mapping"}
