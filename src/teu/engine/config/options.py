"""Flags (from the CLI or teu.api) -> the container's settings, in docker's shapes.

`parse` checks every value before anything is made (so `--memory 12q` fails
with nothing to undo) and returns {"Config": ..., "HostConfig": ..., "Teu": ...}:
Config and HostConfig as `docker inspect` shows them, Teu for what docker has
no field for (secrets, the pull policy). `with_image` then merges the image's
config in (Env, Cmd, Entrypoint, WorkingDir, User, Labels, StopSignal,
Healthcheck), as docker create does.

The option names are the long flags with `_` for `-`: memory, cap_add,
security_opt, ... Repeatable flags take lists.
"""

from __future__ import annotations

import os

from teu.engine.config import units
from teu.engine.errors import InvalidArgument

DEFAULT_STOP_TIMEOUT = 10
NETWORK_MODES = ("none", "host", "default", "")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
VOLUME_OPTIONS = {"ro", "rw", "z", "Z", "nocopy", "shared", "rshared", "slave", "rslave",
                  "private", "rprivate", "consistent", "cached", "delegated"}


def check_name(name: str) -> str:
    name = name[1:] if name.startswith("/") else name
    if len(name) < 2 or not name[0].isalnum() or not set(name) <= _NAME_CHARS \
            or not name.isascii():
        raise InvalidArgument(f"Invalid container name ({name}), only "
                              "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
    return name


def _list(opts: dict, key: str) -> list:
    value = opts.get(key)
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [value]
    return list(value)


def parse(opts: dict) -> dict:
    """Validated settings from the options; raises InvalidArgument (exit 125)."""
    config: dict = {
        "Hostname": opts.get("hostname") or "",
        "Domainname": "",
        "User": opts.get("user") or "",
        "AttachStdin": bool(opts.get("interactive")) and not opts.get("detach"),
        "AttachStdout": not opts.get("detach"),
        "AttachStderr": not opts.get("detach"),
        "Tty": bool(opts.get("tty")),
        "OpenStdin": bool(opts.get("interactive")),
        "StdinOnce": bool(opts.get("interactive")) and not opts.get("detach"),
        "Env": env_list(_list(opts, "env"), _list(opts, "env_file")),
        "Cmd": list(opts["command"]) if opts.get("command") else None,
        "Image": opts.get("image") or "",
        "Volumes": None,
        "WorkingDir": opts.get("workdir") or "",
        "Entrypoint": _entrypoint(opts.get("entrypoint")),
        "Labels": labels(_list(opts, "label")),
    }
    if opts.get("stop_signal"):
        units.signal_number(opts["stop_signal"], "--stop-signal")
        config["StopSignal"] = opts["stop_signal"]
    if opts.get("stop_timeout") is not None:
        config["StopTimeout"] = units.integer(opts["stop_timeout"], "--stop-timeout")
    health = healthcheck(opts)
    if health is not None:
        config["Healthcheck"] = health
    if config["WorkingDir"] and not config["WorkingDir"].startswith("/"):
        raise InvalidArgument(f"the working directory '{config['WorkingDir']}' is invalid, "
                              "it needs to be an absolute path")
    if opts.get("name") is not None:
        check_name(opts["name"])
    from teu.engine.config import network_opts

    net_host, net_config, networking = network_opts.parse(opts, default_network())
    config.update(net_config)
    restart = units.restart_policy(opts.get("restart") or "no")
    if opts.get("rm") and restart["Name"] != "no":
        raise InvalidArgument("conflicting options: cannot specify both --restart and --rm")
    host: dict = {
        "Binds": [],
        "RestartPolicy": restart,
        "AutoRemove": bool(opts.get("rm")),
        "CapAdd": capabilities(_list(opts, "cap_add"), "--cap-add"),
        "CapDrop": capabilities(_list(opts, "cap_drop"), "--cap-drop"),
        "Init": bool(opts.get("init")),
        "Privileged": bool(opts.get("privileged")),
        "ReadonlyRootfs": bool(opts.get("read_only")),
        "SecurityOpt": security_opts(_list(opts, "security_opt")),
        "Tmpfs": tmpfs(_list(opts, "tmpfs")),
        "Memory": units.size(opts["memory"], "-m, --memory") if opts.get("memory") else 0,
        "MemorySwap": units.memory_swap(opts["memory_swap"]) if opts.get("memory_swap") else 0,
        "NanoCpus": units.nano_cpus(opts["cpus"]) if opts.get("cpus") is not None else 0,
        "CpuShares": (units.integer(opts["cpu_shares"], "-c, --cpu-shares", 0)
                      if opts.get("cpu_shares") is not None else 0),
        "CpusetCpus": units.cpuset(opts["cpuset_cpus"]) if opts.get("cpuset_cpus") else "",
        "PidsLimit": (units.integer(opts["pids_limit"], "--pids-limit")
                      if opts.get("pids_limit") is not None else None),
        "Ulimits": [units.ulimit(u) for u in _list(opts, "ulimit")],
        "Runtime": opts.get("runtime") or default_runtime(),
        "Mounts": [],
    }
    host.update(net_host)
    if host["MemorySwap"] and host["MemorySwap"] != -1:
        if not host["Memory"]:
            raise InvalidArgument("you should always set the memory limit when using the "
                                  "memoryswap limit, see usage")
        if host["MemorySwap"] < host["Memory"]:
            raise InvalidArgument("minimum memoryswap limit should be larger than memory limit, "
                                  "see usage")
    if host["Memory"] and host["Memory"] < 6 * 1024 * 1024:
        raise InvalidArgument("minimum memory limit allowed is 6MB")
    for spec in _list(opts, "volume"):
        host["Binds"].append(volume_spec(spec))
    teu = {"Secrets": [secret(s) for s in _list(opts, "secret")],
           "Pull": opts.get("pull") or "missing"}
    if teu["Pull"] not in ("missing", "always", "never"):
        raise InvalidArgument(f'invalid pull policy "{teu["Pull"]}": use missing, always '
                              'or never')
    bandwidth = network_opts.bandwidth(opts, host["NetworkMode"])
    if bandwidth:
        teu["Bandwidth"] = bandwidth  # the CNI bandwidth plugin's runtime config
    settings = {"Config": config, "HostConfig": host, "Teu": teu}
    if networking:
        settings["NetworkingConfig"] = networking
    from teu.engine.config import hostopts, mounts

    hostopts.parse_into(opts, settings)
    host["Mounts"] = [mounts.parse(m) for m in _list(opts, "mount")]
    return settings


CONFIG_FILE = "/etc/teu/teu.conf"


def setting(key: str) -> str | None:
    """A `key = value` line of $TEU_CONFIG or /etc/teu/teu.conf (# starts a comment)."""
    path = os.environ.get("TEU_CONFIG") or CONFIG_FILE
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        k, eq, v = line.split("#", 1)[0].partition("=")
        if eq and k.strip() == key:
            return v.strip().strip('"')
    return None


def default_network() -> str:
    """--network's default: $TEU_NETWORK, the config file's `network`, bridge."""
    return os.environ.get("TEU_NETWORK") or setting("network") or "bridge"


def default_runtime() -> str:
    """--runtime's default: $TEU_RUNTIME, the config file's `runtime`, teu-runtime."""
    return os.environ.get("TEU_RUNTIME") or setting("runtime") or "teu-runtime"


def _entrypoint(value: object) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value] if value else []
    return list(value)  # type: ignore[call-overload]


def env_list(env: list[str], env_files: list[str]) -> list[str]:
    """-e and --env-file: KEY=VALUE kept, a bare KEY takes teu's own value if it has one."""
    out = []
    for path in env_files:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise InvalidArgument(f"open {path}: {e.strerror.lower()}") from None
        for line in lines:
            line = line.lstrip()
            if line and not line.startswith("#"):
                out.append(line)
    out += env
    result = []
    for item in out:
        key, eq, _ = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid environment variable: {item}")
        if not eq:
            if key in os.environ:
                result.append(f"{key}={os.environ[key]}")
            continue
        result.append(item)
    return result


def labels(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid label: {item}")
        out[key] = value
    return out


def capabilities(items: list[str], flag: str) -> list[str]:
    from teu.oci.runtime_config import CAPABILITIES, capability_name

    out = []
    for item in items:
        for part in item.split(","):
            if part.upper() == "ALL":
                out.append("ALL")
                continue
            name = capability_name(part.strip())
            if name not in CAPABILITIES:
                raise InvalidArgument(f"invalid {flag} capability: unknown capability: "
                                      f'"{part}"')
            out.append(name)
    return out


def security_opts(items: list[str]) -> list[str]:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            key, sep, value = item.partition(":")
        if key == "no-new-privileges":
            if value not in ("", "true", "false"):
                raise InvalidArgument(f"invalid --security-opt 2: {item!r}")
        elif key == "seccomp":
            if not value:
                raise InvalidArgument(f"invalid --security-opt: {item!r}: seccomp needs "
                                      "unconfined or a profile path")
            if value != "unconfined":
                from teu.engine.config.seccomp import load

                load(value)  # fail now, with the file's name, not at start
                value = os.path.abspath(value)
                item = f"seccomp={value}"
        elif key in ("label", "apparmor"):
            pass  # this kernel has neither SELinux nor AppArmor: accepted and ignored
        else:
            raise InvalidArgument(f"invalid --security-opt 1: {item!r}")
        out.append(item)
    return out


def tmpfs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        dest, _, mount_opts = item.partition(":")
        if not dest.startswith("/"):
            raise InvalidArgument(f"invalid mount path for tmpfs: {dest!r} (must be absolute)")
        out[dest] = mount_opts
    return out


def volume_spec(spec: str) -> str:
    """Check `-v SRC:DST[:OPTS]` / `-v DST`; returns it unchanged (Binds keeps the text)."""
    parts = spec.split(":")
    if len(parts) > 3 or not all(parts) or not spec:
        raise InvalidArgument(f"invalid volume specification: '{spec}'")
    if len(parts) == 1:
        dest = parts[0]
    else:
        dest = parts[1]
        if len(parts) == 3:
            for o in parts[2].split(","):
                if o not in VOLUME_OPTIONS:
                    raise InvalidArgument(f"invalid volume specification: '{spec}': "
                                          f"unknown option {o!r}")
        source = parts[0]
        if source.startswith("/") or source.startswith("."):
            pass  # docker makes a missing bind source (a directory) at create
        else:
            from teu.engine.storage.volumes import check_volume_name

            check_volume_name(source)
    if not dest.startswith("/"):
        raise InvalidArgument(f"invalid volume specification: '{spec}': invalid mount "
                              f"config: the mount destination must be an absolute path")
    if os.path.normpath(dest) == "/":
        raise InvalidArgument(f"invalid volume specification: '{spec}': invalid mount config:"
                              " destination can't be '/'")
    return spec


def secret(spec: str) -> dict:
    """--secret src=FILE,target=NAME (or just FILE) -> {"Source", "Target"}."""
    fields = {}
    for part in spec.split(","):
        key, eq, value = part.partition("=")
        if not eq:
            fields.setdefault("source", key)
            continue
        key = {"src": "source", "dst": "target", "destination": "target",
               "id": "source"}.get(key, key)
        if key not in ("source", "target", "mode", "uid", "gid", "type"):
            raise InvalidArgument(f"invalid --secret {spec!r}: unknown field {key!r}")
        fields[key] = value
    source = fields.get("source")
    if not source:
        raise InvalidArgument(f"invalid --secret {spec!r}: src=FILE is required")
    if not os.path.isfile(source):
        raise InvalidArgument(f"invalid --secret {spec!r}: {source}: no such file")
    target = fields.get("target") or os.path.basename(source)
    if not target.startswith("/"):
        if "/" in target or target in (".", ".."):
            raise InvalidArgument(f"invalid --secret {spec!r}: target must be a file name or "
                                  "an absolute path")
        target = "/run/secrets/" + target
    out = {"Source": os.path.abspath(source), "Target": target,
           "Mode": int(fields.get("mode", "0400"), 8)}
    for key in ("uid", "gid"):
        if key in fields:
            out[key.upper()] = units.integer(fields[key], f"--secret {key}")
    return out


def healthcheck(opts: dict) -> dict | None:
    if opts.get("no_healthcheck"):
        if opts.get("health_cmd"):
            raise InvalidArgument("--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    given = {k: opts.get(k) for k in ("health_cmd", "health_interval", "health_timeout",
                                      "health_retries", "health_start_period",
                                      "health_start_interval")}
    if all(v is None for v in given.values()):
        return None
    h: dict = {}
    if given["health_cmd"]:
        cmd = given["health_cmd"]
        h["Test"] = ["CMD-SHELL", cmd] if isinstance(cmd, str) else ["CMD", *cmd]
    for key, name in (("health_interval", "Interval"), ("health_timeout", "Timeout"),
                      ("health_start_period", "StartPeriod"),
                      ("health_start_interval", "StartInterval")):
        if given[key] is not None:
            seconds = units.duration(given[key], "--" + key.replace("_", "-"))
            if seconds < 0 or (seconds and seconds < 0.001):
                raise InvalidArgument(f"--{key.replace('_', '-')} cannot be less than 1ms")
            h[name] = int(seconds * 1e9)
    if given["health_retries"] is not None:
        h["Retries"] = units.integer(given["health_retries"], "--health-retries", 0)
    return h


def with_image(settings: dict, image_config: dict, image_name: str) -> dict:
    """Merge the image's run config into Config, as docker create does."""
    config = settings["Config"]
    ic = image_config.get("config") or {}
    config["Image"] = image_name
    env = dict(e.split("=", 1) if "=" in e else (e, "") for e in ic.get("Env") or [])
    env.update(e.split("=", 1) for e in config["Env"])
    if "PATH" not in env:
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", **env}
    config["Env"] = [f"{k}={v}" for k, v in env.items()]
    if config["Entrypoint"] is None:
        config["Entrypoint"] = ic.get("Entrypoint") or None
        if config["Cmd"] is None:
            config["Cmd"] = ic.get("Cmd") or None
    elif config["Cmd"] is None:
        config["Cmd"] = None  # docker: a new entrypoint drops the image's Cmd
    config["WorkingDir"] = config["WorkingDir"] or ic.get("WorkingDir") or ""
    config["User"] = config["User"] or ic.get("User") or ""
    config["Labels"] = {**(ic.get("Labels") or {}), **config["Labels"]}
    if "StopSignal" not in config and ic.get("StopSignal"):
        config["StopSignal"] = ic["StopSignal"]
    image_health = ic.get("Healthcheck") or None
    mine = config.get("Healthcheck")
    if mine is None and image_health and image_health.get("Test"):
        config["Healthcheck"] = dict(image_health)
    elif mine is not None and "Test" not in mine:
        # --health-interval and friends without --health-cmd tune the image's check.
        if image_health and image_health.get("Test"):
            config["Healthcheck"] = {**image_health, **mine}
        else:
            del config["Healthcheck"]
    if ic.get("Volumes"):
        config["Volumes"] = ic["Volumes"]
    if ic.get("ExposedPorts"):
        config["ExposedPorts"] = {**ic["ExposedPorts"], **(config.get("ExposedPorts") or {})}
    if not (config["Entrypoint"] or config["Cmd"]):
        raise InvalidArgument("no command specified")
    return settings


# Every option the engine reads: the long flags of `teu run`/`teu create` with `_` for
# `-` (teu.cli._container_flags; tests/unit/test_api_runargs.py keeps the two equal) and
# what the fronts add (image, command, detach). teu.api refuses any other name, so a
# misspelt option is an error and never a setting silently dropped.
OPTION_NAMES = frozenset({
    "image", "command", "detach",
    "interactive", "tty", "rm", "name", "env", "env_file", "workdir", "user", "entrypoint",
    "volume", "tmpfs", "read_only", "memory", "memory_swap", "cpus", "cpu_shares",
    "cpuset_cpus", "pids_limit", "ulimit", "cap_add", "cap_drop", "security_opt",
    "privileged", "hostname", "init", "restart", "health_cmd", "health_interval",
    "health_retries", "health_timeout", "health_start_period", "no_healthcheck",
    "health_start_interval",
    "stop_signal", "stop_timeout", "label", "network", "runtime", "secret", "pull",
    # networking (teu.network)
    "add_host", "dns", "dns_option", "dns_search", "expose", "ip", "ip6", "mac_address",
    "network_alias", "publish", "publish_all", "ingress_bandwidth", "egress_bandwidth",
    # trust (teu.trust): pin the image's digest, the policy file
    "pin", "signature_policy",
    # pods (teu.engine.pods): join one; pod_infra is the pod's own infra container
    "pod", "pod_infra",
    # namespaces, devices, kernel parameters, logging, finer limits (config/hostopts.py)
    "mount", "pid", "ipc", "uts", "cgroupns", "userns", "shm_size", "group_add", "sysctl",
    "device", "device_cgroup_rule", "log_driver", "log_opt", "cidfile", "volumes_from",
    "platform", "oom_kill_disable", "oom_score_adj", "memory_reservation", "blkio_weight",
    "blkio_weight_device", "device_read_bps", "device_write_bps", "device_read_iops",
    "device_write_iops", "attach", "sig_proxy", "detach_keys",
})


def unknown_options(opts: dict) -> list[str]:
    """The names in opts the engine does not read."""
    return sorted(set(opts) - OPTION_NAMES)
