"""The Engine API's container create body (Config, HostConfig, NetworkingConfig) ->
the engine's options (`teu run`'s long flags, see options.py).

teu.dockerapi serves this body; teu.api's docker-py keywords carry the same
structures (docker-py builds HostConfig from them), so the structures' converters
(restart policy, health check, ulimits, mounts, throttles) live here for both.
Strict as the rest of the engine: a field teu cannot honour, set to anything but
its zero value, is an InvalidArgument naming it; an unknown field is one too.
"""

from __future__ import annotations

from typing import Any

from teu.engine.errors import InvalidArgument


def restart_text(value: dict | str) -> str:
    """{"Name": "on-failure", "MaximumRetryCount": 3} -> "on-failure:3"."""
    if isinstance(value, str):
        return value
    name = value.get("Name") or "no"
    retries = value.get("MaximumRetryCount") or 0
    return f"{name}:{retries}" if name == "on-failure" and retries else name


def healthcheck_options(value: dict) -> dict:
    """A Healthcheck (Test, Interval/Timeout/StartPeriod/StartInterval in ns, Retries) ->
    health_* options."""
    out: dict = {}
    low = {k.lower().replace("_", ""): v for k, v in value.items()}
    test = low.get("test")
    if isinstance(test, str):
        out["health_cmd"] = test
    elif test:
        kind, *rest = test
        if kind == "NONE":
            out["no_healthcheck"] = True
        elif kind == "CMD-SHELL":
            out["health_cmd"] = rest[0] if len(rest) == 1 else " ".join(rest)
        elif kind == "CMD":
            out["health_cmd"] = list(rest)
        else:
            raise InvalidArgument(f"healthcheck test must start with CMD, CMD-SHELL or "
                                  f"NONE, not {kind!r}")
    for key, opt in (("interval", "health_interval"), ("timeout", "health_timeout"),
                     ("startperiod", "health_start_period"),
                     ("startinterval", "health_start_interval")):
        if low.get(key):
            out[opt] = f"{int(low[key])}ns"
    if low.get("retries"):
        out["health_retries"] = low["retries"]
    return out


def ulimit_texts(value: list) -> list[str]:
    """[{"Name": "nofile", "Soft": 1024, "Hard": 2048}] -> ["nofile=1024:2048"]."""
    out = []
    for u in value:
        if isinstance(u, str):
            out.append(u)
            continue
        low = {k.lower(): v for k, v in u.items()}
        soft = low.get("soft")
        hard = low.get("hard", soft)
        out.append(f"{low['name']}={soft}:{hard}")
    return out


def mount_texts(value: list) -> list[str]:
    """Mount objects (Target, Source, Type, ReadOnly, ...) -> --mount values."""
    out = []
    for m in value:
        if isinstance(m, str):
            out.append(m)
            continue
        parts = [f"type={m.get('Type', 'volume')}"]
        if m.get("Source"):
            parts.append(f"source={m['Source']}")
        parts.append(f"target={m['Target']}")
        if m.get("ReadOnly"):
            parts.append("readonly")
        bind = m.get("BindOptions") or {}
        if bind.get("Propagation"):
            parts.append(f"bind-propagation={bind['Propagation']}")
        vol = m.get("VolumeOptions") or {}
        if vol.get("NoCopy"):
            parts.append("volume-nocopy")
        tmpfs = m.get("TmpfsOptions") or {}
        if tmpfs.get("SizeBytes"):
            parts.append(f"tmpfs-size={tmpfs['SizeBytes']}")
        if tmpfs.get("Mode"):
            parts.append(f"tmpfs-mode={tmpfs['Mode']:o}")
        out.append(",".join(parts))
    return out


def mounts_as_volumes(value: list) -> tuple[list[str], list[str]]:
    """Mount objects -> (-v values, --tmpfs values): the engine's mount options."""
    volumes, tmpfs = [], []
    for m in value:
        kind = m.get("Type") or "volume"
        target = m.get("Target") or ""
        if not target:
            raise InvalidArgument("invalid mount config: Target must not be empty")
        if kind == "tmpfs":
            t = m.get("TmpfsOptions") or {}
            opts = [f"size={t['SizeBytes']}"] if t.get("SizeBytes") else []
            if t.get("Mode"):
                opts.append(f"mode={t['Mode']:o}")
            tmpfs.append(target + (":" + ",".join(opts) if opts else ""))
            continue
        if kind not in ("bind", "volume"):
            raise InvalidArgument(f"mount type {kind!r} is not supported by teu")
        if kind == "bind" and not m.get("Source"):
            raise InvalidArgument("invalid mount config for type \"bind\": field Source "
                                  "must not be empty")
        opts = ["ro"] if m.get("ReadOnly") else []
        prop = (m.get("BindOptions") or {}).get("Propagation")
        if prop:
            opts.append(prop)
        if (m.get("VolumeOptions") or {}).get("NoCopy"):
            opts.append("nocopy")
        src = m.get("Source") or ""
        spec = f"{src}:{target}" if src else target
        volumes.append(spec + (":" + ",".join(opts) if opts else ""))
    return volumes, tmpfs


def throttle_texts(value: list) -> list[str]:
    """[{"Path": "/dev/sda", "Rate": 1024}] -> ["/dev/sda:1024"]."""
    return [v if isinstance(v, str) else f"{v['Path']}:{v['Rate']}" for v in value]


def port_texts(bindings: dict) -> list[str]:
    """{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} -> -p values."""
    out = []
    for cport, hosts in (bindings or {}).items():
        for h in hosts or [{}]:
            ip, port = (h or {}).get("HostIp") or "", (h or {}).get("HostPort") or ""
            out.append(f"{ip}:{port}:{cport}" if ip else f"{port}:{cport}" if port
                       else str(cport))
    return out


def _zero(value: Any) -> bool:
    return value in (None, False, 0, "", [], {}) or value == [0, 0]


# Fields read into options, and those known but meaningless here (accepted at any value).
_CONFIG_FIELDS = {"Hostname", "Domainname", "User", "AttachStdin", "AttachStdout",
                  "AttachStderr", "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env",
                  "Cmd", "Healthcheck", "ArgsEscaped", "Image", "Volumes", "WorkingDir",
                  "Entrypoint", "NetworkDisabled", "MacAddress", "OnBuild", "Labels",
                  "StopSignal", "StopTimeout", "Shell", "HostConfig", "NetworkingConfig"}
_HOST_READ = {"Binds", "Memory", "MemorySwap", "NanoCpus", "CpuShares", "CpusetCpus",
              "CpuQuota", "CpuPeriod", "PidsLimit", "Ulimits", "CapAdd", "CapDrop",
              "SecurityOpt", "Privileged", "Init", "RestartPolicy", "NetworkMode",
              "PortBindings", "PublishAllPorts", "Dns", "DnsOptions", "DnsSearch",
              "ExtraHosts", "AutoRemove", "ReadonlyRootfs", "Tmpfs", "Runtime", "Mounts",
              "LogConfig"}
_HOST_IGNORED = {"ConsoleSize", "ContainerIDFile", "Isolation", "CgroupnsMode",
                 "MaskedPaths", "ReadonlyPaths", "OomScoreAdj", "Annotations", "Cgroup",
                 "IpcMode", "PidMode", "UTSMode", "UsernsMode", "ShmSize", "VolumeDriver",
                 "KernelMemory", "KernelMemoryTCP", "MemorySwappiness", "BlkioWeight",
                 "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth",
                 "MemoryReservation", "OomKillDisable", "CpuRealtimePeriod",
                 "CpuRealtimeRuntime", "CpusetMems", "CgroupParent", "GroupAdd", "Links",
                 "VolumesFrom", "Devices", "DeviceCgroupRules", "DeviceRequests",
                 "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
                 "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "StorageOpt", "Sysctls",
                 "DnsSearch", "LxcConf"}
# Of the ignored: those a client sends with docker's defaults, which teu's match.
_DEFAULTS = {"CgroupnsMode": ("private", "host"), "IpcMode": ("private", "shareable"),
             "Isolation": ("default",), "MemorySwappiness": (-1,), "Cgroup": ("",),
             "ConsoleSize": None, "ContainerIDFile": None, "MaskedPaths": None,
             "ReadonlyPaths": None, "Annotations": None, "ShmSize": None,
             "OomKillDisable": (False,), "VolumeDriver": ("local",)}


def create_options(body: dict, name: str | None = None) -> dict:
    """The engine's options for POST /containers/create's body."""
    if not isinstance(body, dict):
        raise InvalidArgument("the create body must be a JSON object")
    unknown = sorted(set(body) - _CONFIG_FIELDS)
    if unknown:
        raise InvalidArgument(f"unknown field(s) in the container config: {', '.join(unknown)}")
    if not body.get("Image"):
        raise InvalidArgument("no image specified: Config.Image must not be empty")
    opts: dict = {"image": body["Image"], "detach": True}
    if name:
        opts["name"] = name
    _config(body, opts)
    host = body.get("HostConfig") or {}
    if not isinstance(host, dict):
        raise InvalidArgument("HostConfig must be a JSON object")
    _host(host, opts)
    _networking(body.get("NetworkingConfig") or {}, opts)
    if not opts.get("network"):
        opts.pop("network", None)
    return opts


def _cmd(value: Any, what: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"{what} must be a list of strings")
    return value


def _config(c: dict, opts: dict) -> None:
    simple = {"Hostname": "hostname", "User": "user", "WorkingDir": "workdir",
              "StopSignal": "stop_signal", "MacAddress": "mac_address"}
    for field, opt in simple.items():
        if c.get(field):
            opts[opt] = str(c[field])
    if c.get("Domainname"):
        raise InvalidArgument("Domainname is not supported by teu yet")
    if c.get("StopTimeout") is not None:
        opts["stop_timeout"] = c["StopTimeout"]
    if c.get("Tty"):
        opts["tty"] = True
    if c.get("OpenStdin"):
        opts["interactive"] = True
    attached = [s for s in ("stdin", "stdout", "stderr") if c.get(f"Attach{s.capitalize()}")]
    if attached:  # a client that attaches (`docker run` without -d): StdinOnce follows
        opts["detach"] = False
        opts["attach"] = attached
    if c.get("Env"):
        opts["env"] = list(_cmd(c["Env"], "Env") or [])
    cmd = _cmd(c.get("Cmd"), "Cmd")
    if cmd:
        opts["command"] = cmd
    entry = c.get("Entrypoint")
    if entry is not None:
        ep = _cmd(entry, "Entrypoint")
        opts["entrypoint"] = ep if ep else ""
    labels = c.get("Labels") or {}
    if not isinstance(labels, dict):
        raise InvalidArgument("Labels must be a JSON object")
    if labels:
        opts["label"] = [f"{k}={v}" for k, v in labels.items()]
    if c.get("Volumes"):
        opts.setdefault("volume", []).extend(str(k) for k in c["Volumes"])
    if c.get("ExposedPorts"):
        opts["expose"] = list(c["ExposedPorts"])
    if c.get("Healthcheck"):
        opts.update(healthcheck_options(c["Healthcheck"]))
    if c.get("NetworkDisabled"):
        opts["network"] = ["none"]


def _host(h: dict, opts: dict) -> None:
    unknown = sorted(set(h) - _HOST_READ - _HOST_IGNORED)
    if unknown:
        raise InvalidArgument(f"unknown field(s) in HostConfig: {', '.join(unknown)}")
    for field in sorted(set(h) & _HOST_IGNORED):
        value = h[field]
        allowed = _DEFAULTS.get(field, ())
        if _zero(value) or allowed is None or value in allowed:
            continue
        raise InvalidArgument(f"HostConfig.{field} is not supported by teu yet")
    if h.get("Binds"):
        opts.setdefault("volume", []).extend(h["Binds"])
    if h.get("Mounts"):
        volumes, tmpfs = mounts_as_volumes(h["Mounts"])
        opts.setdefault("volume", []).extend(volumes)
        opts.setdefault("tmpfs", []).extend(tmpfs)
    if h.get("Tmpfs"):
        opts.setdefault("tmpfs", []).extend(
            f"{k}:{v}" if v else k for k, v in h["Tmpfs"].items())
    if h.get("Memory"):
        opts["memory"] = str(h["Memory"])
    if h.get("MemorySwap"):
        opts["memory_swap"] = str(h["MemorySwap"])
    if h.get("NanoCpus"):
        opts["cpus"] = str(int(h["NanoCpus"]) / 1e9)
    elif h.get("CpuQuota"):
        opts["cpus"] = str(h["CpuQuota"] / (h.get("CpuPeriod") or 100000))
    for field, opt in (("CpuShares", "cpu_shares"), ("CpusetCpus", "cpuset_cpus"),
                       ("Runtime", "runtime")):
        if h.get(field):
            opts[opt] = h[field]
    if h.get("PidsLimit") and h["PidsLimit"] > 0:
        opts["pids_limit"] = h["PidsLimit"]
    for field, opt in (("CapAdd", "cap_add"), ("CapDrop", "cap_drop"),
                       ("SecurityOpt", "security_opt"), ("Dns", "dns"),
                       ("DnsOptions", "dns_option"), ("DnsSearch", "dns_search"),
                       ("ExtraHosts", "add_host")):
        if h.get(field):
            opts[opt] = list(h[field])
    if h.get("Ulimits"):
        opts["ulimit"] = ulimit_texts(h["Ulimits"])
    for field, opt in (("Privileged", "privileged"), ("Init", "init"),
                       ("AutoRemove", "rm"), ("ReadonlyRootfs", "read_only"),
                       ("PublishAllPorts", "publish_all")):
        if h.get(field):
            opts[opt] = True
    policy = h.get("RestartPolicy") or {}
    if policy.get("Name") and policy["Name"] != "no":
        opts["restart"] = restart_text(policy)
    mode = h.get("NetworkMode")
    if mode and mode != "default":
        opts["network"] = [mode]
    if h.get("PortBindings"):
        opts["publish"] = port_texts(h["PortBindings"])
    log = h.get("LogConfig") or {}
    if log.get("Type") not in (None, "", "json-file", "k8s-file", "local"):
        raise InvalidArgument(f"log driver {log['Type']!r} is not supported by teu")


def _networking(n: dict, opts: dict) -> None:
    endpoints = n.get("EndpointsConfig") or {}
    nets = opts.setdefault("network", [])
    for net, ep in endpoints.items():
        if net not in nets:
            nets.append(net)
        ep = ep or {}
        if ep.get("Aliases"):
            opts.setdefault("network_alias", []).extend(ep["Aliases"])
        ipam = ep.get("IPAMConfig") or {}
        if ipam.get("IPv4Address"):
            opts["ip"] = ipam["IPv4Address"]
        if ipam.get("IPv6Address"):
            opts["ip6"] = ipam["IPv6Address"]
