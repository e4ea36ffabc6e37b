"""docker-py's keyword arguments of `containers.run`/`create` -> the engine's options.

docker-py names things after the Engine API (mem_limit, working_dir, environment,
restart_policy={"Name": ...}); the engine takes `teu run`'s long flags (memory,
workdir, env, restart="on-failure:3"). This module is the one translation between
the two, and it is strict as docker-py is: an unknown keyword is a TypeError naming
it, a known one teu cannot honour is an InvalidArgument saying so, and a bad value
fails before anything is made (the engine checks every value first).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from teu.engine.config.apibody import healthcheck_options as _healthcheck
from teu.engine.config.apibody import mount_texts as _mounts
from teu.engine.config.apibody import restart_text as _restart
from teu.engine.config.apibody import throttle_texts as _throttle
from teu.engine.config.apibody import ulimit_texts as _ulimits
from teu.errors import InvalidArgument

# Keywords that `run` takes beyond `create`'s (docker-py's run-only ones).
RUN_ONLY = ("stdout", "stderr", "remove", "stream")


def split_command(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    """docker-py's rule: a string is split like a shell would (no `sh -c`)."""
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def _pairs(value: dict | list | tuple | str, what: str, sep: str = "=") -> list[str]:
    """A dict {k: v} or a list ["k=v"] -> ["k=v"]; a None value keeps the bare key."""
    if isinstance(value, dict):
        return [str(k) if v is None else f"{k}{sep}{v}" for k, v in value.items()]
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    raise InvalidArgument(f"{what} must be a dict or a list, not {type(value).__name__}")


def _labels(value: dict | list) -> list[str]:
    if isinstance(value, (list, tuple)):  # docker-py: a list of keys, empty values
        return [v if "=" in v else f"{v}=" for v in value]
    return _pairs(value, "labels")


def _volumes(value: dict | list | str) -> list[str]:
    """{host: {"bind": path, "mode": "ro"}} or ["host:path:ro"] -> -v values."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if not isinstance(value, dict):
        raise InvalidArgument("volumes must be a dict or a list")
    out = []
    for host, spec in value.items():
        if isinstance(spec, str):  # docker-py accepts {host: "/path"} too
            out.append(f"{host}:{spec}")
            continue
        if not isinstance(spec, dict) or "bind" not in spec:
            raise InvalidArgument(f"volumes[{host!r}] must be a dict with a 'bind' key")
        mode = spec.get("mode")
        out.append(f"{host}:{spec['bind']}" + (f":{mode}" if mode else ""))
    return out


def _ports(value: dict) -> list[str]:
    """{"80/tcp": 8080 | None | ("127.0.0.1", 8080) | [8080, 8081]} -> -p values."""
    out = []
    for container_port, host in value.items():
        cport = str(container_port)
        bindings = host if isinstance(host, list) else [host]
        for b in bindings:
            if b is None:
                out.append(cport)
            elif isinstance(b, tuple):
                ip, *port = b
                out.append(f"{ip}:{port[0] if port else ''}:{cport}")
            else:
                out.append(f"{b}:{cport}")
    return out










def _log_config(value: dict) -> dict:
    low = {k.lower(): v for k, v in value.items()}
    out: dict = {"log_driver": low.get("type") or "json-file"}
    if low.get("config"):
        out["log_opt"] = _pairs(low["config"], "log_config.config")
    return out


def _tmpfs(value: dict | list) -> list[str]:
    if isinstance(value, dict):
        return [f"{k}:{v}" if v else str(k) for k, v in value.items()]
    return [str(v) for v in value]


def _devices(value: list) -> list[str]:
    return [str(d) for d in value]




def _same(value: Any) -> Any:
    return value


def _nano_cpus(value: int) -> str:
    return str(int(value) / 1e9)


def _flag(opt: str, convert: Callable[[Any], Any] = _same) -> Callable[[Any], dict]:
    return lambda value: {opt: convert(value)}


# docker-py keyword -> a function of its value giving engine options.
KEYWORDS: dict[str, Callable[[Any], dict]] = {
    "image": _flag("image"),
    "command": _flag("command", split_command),
    "entrypoint": _flag("entrypoint", split_command),
    "detach": _flag("detach", bool),
    "environment": _flag("env", lambda v: _pairs(v, "environment")),
    "hostname": _flag("hostname"),
    "domainname": _flag("domainname"),
    "labels": _flag("label", _labels),
    "mac_address": _flag("mac_address"),
    "name": _flag("name"),
    "network_disabled": lambda v: {"network": "none"} if v else {},
    "platform": _flag("platform"),
    "stdin_open": _flag("interactive", bool),
    "stop_signal": _flag("stop_signal"),
    "tty": _flag("tty", bool),
    "user": _flag("user", str),
    "working_dir": _flag("workdir"),
    "healthcheck": _healthcheck,
    "auto_remove": _flag("rm", bool),
    "cap_add": _flag("cap_add", list),
    "cap_drop": _flag("cap_drop", list),
    "cgroup_parent": _flag("cgroup_parent"),
    "cgroupns": _flag("cgroupns"),
    "cpu_period": _flag("cpu_period"),
    "cpu_quota": _flag("cpu_quota"),
    "cpu_shares": _flag("cpu_shares"),
    "cpuset_cpus": _flag("cpuset_cpus"),
    "cpuset_mems": _flag("cpuset_mems"),
    "cpu_rt_period": _flag("cpu_rt_period"),
    "cpu_rt_runtime": _flag("cpu_rt_runtime"),
    "nano_cpus": _flag("cpus", _nano_cpus),
    "device_cgroup_rules": _flag("device_cgroup_rule", list),
    "device_read_bps": _flag("device_read_bps", _throttle),
    "device_read_iops": _flag("device_read_iops", _throttle),
    "device_write_bps": _flag("device_write_bps", _throttle),
    "device_write_iops": _flag("device_write_iops", _throttle),
    "devices": _flag("device", _devices),
    "dns": _flag("dns", list),
    "dns_opt": _flag("dns_option", list),
    "dns_search": _flag("dns_search", list),
    "extra_hosts": _flag("add_host", lambda v: _pairs(v, "extra_hosts", ":")),
    "group_add": _flag("group_add", lambda v: [str(g) for g in v]),
    "init": _flag("init", bool),
    "ipc_mode": _flag("ipc"),
    "log_config": _log_config,
    "mem_limit": _flag("memory"),
    "mem_reservation": _flag("memory_reservation"),
    "mem_swappiness": _flag("memory_swappiness"),
    "memswap_limit": _flag("memory_swap"),
    "mounts": _flag("mount", _mounts),
    "network": _flag("network"),
    "network_mode": _flag("network"),
    "oom_kill_disable": _flag("oom_kill_disable", bool),
    "oom_score_adj": _flag("oom_score_adj"),
    "pid_mode": _flag("pid"),
    "pod": _flag("pod"),  # podman-py's keyword: join a pod (client.pods)
    "pids_limit": _flag("pids_limit"),
    "ports": _flag("publish", _ports),
    "privileged": _flag("privileged", bool),
    "publish_all_ports": _flag("publish_all", bool),
    "read_only": _flag("read_only", bool),
    "restart_policy": _flag("restart", _restart),
    "runtime": _flag("runtime"),
    "security_opt": _flag("security_opt", list),
    "shm_size": _flag("shm_size"),
    "stop_timeout": _flag("stop_timeout"),
    "sysctls": _flag("sysctl", lambda v: _pairs(v, "sysctls")),
    "tmpfs": _flag("tmpfs", _tmpfs),
    "ulimits": _flag("ulimit", _ulimits),
    "userns_mode": _flag("userns"),
    "uts_mode": _flag("uts"),
    "volumes": _flag("volume", _volumes),
    "volumes_from": _flag("volumes_from", list),
    # teu's own: secrets on a tmpfs at /run/secrets, and the pull policy.
    "secrets": _flag("secret", list),
    "pull": _flag("pull"),
}

# docker-py keywords teu knows but cannot honour, and why.
UNSUPPORTED = {
    "blkio_weight": "this kernel's cgroups have no blkio weight files",
    "blkio_weight_device": "this kernel's cgroups have no blkio weight files",
    "cpu_count": "a Windows-only setting",
    "cpu_percent": "a Windows-only setting",
    "device_requests": "GPU device requests need a device plugin teu does not have",
    "init_path": "teu's init is catatonit, found on PATH",
    "isolation": "a Windows-only setting",
    "kernel_memory": "kernel memory limits are deprecated in the kernel and in docker",
    "links": "legacy links: use a user-defined network, whose names resolve",
    "lxc_conf": "an LXC-only setting",
    "storage_opt": "teu's overlay storage takes no per-container options",
    "use_config_proxy": "teu does not read the docker CLI's config file",
    "volume_driver": "teu has only the local volume driver",
    "version": None,  # docker-py passes its API version along: meaningless in-process
}


def to_options(kwargs: dict, what: str = "create") -> dict:
    """The engine's options from docker-py's keywords (without the run-only ones)."""
    from teu.engine.config.options import unknown_options

    opts: dict = {}
    unexpected = [k for k in kwargs if k not in KEYWORDS and k not in UNSUPPORTED]
    if unexpected:
        names = ", ".join(repr(k) for k in sorted(unexpected))
        raise TypeError(f"{what}() got unexpected keyword arguments {names}" if
                        len(unexpected) > 1 else
                        f"{what}() got an unexpected keyword argument {names}")
    for key, value in kwargs.items():
        if key in UNSUPPORTED:
            reason = UNSUPPORTED[key]
            if reason is not None and value not in (None, False, 0, "", [], {}):
                raise InvalidArgument(f"{key} is not supported by teu: {reason}")
            continue
        if value is None:
            continue
        opts.update(KEYWORDS[key](value))
    missing = unknown_options(opts)
    if missing:  # a docker-py keyword whose engine setting teu does not have yet
        back = {v: k for k in kwargs for v in KEYWORDS.get(k, lambda _v: {})(kwargs[k])}
        names = ", ".join(sorted({back.get(m, m) for m in missing}))
        raise InvalidArgument(f"{names}: not supported by this teu yet")
    return opts
