"""The run/create flags for namespaces, devices, kernel parameters, logging and the
finer resource limits -> docker's HostConfig (and Config) fields.

    --pid, --ipc, --uts, --cgroupns, --userns      PidMode, IpcMode, UTSMode, CgroupnsMode,
                                                   UsernsMode
    --shm-size, --sysctl, --group-add              ShmSize, Sysctls, GroupAdd
    --device, --device-cgroup-rule                 Devices, DeviceCgroupRules
    --oom-kill-disable, --oom-score-adj,           OomKillDisable, OomScoreAdj,
    --memory-reservation                           MemoryReservation
    --blkio-weight[-device], --device-{read,write}-{bps,iops}   Blkio*
    --log-driver, --log-opt                        LogConfig
    --cidfile, --volumes-from, --mount             ContainerIDFile, VolumesFrom, Mounts
    -a, --sig-proxy, --detach-keys, --platform     Config.Attach*, and teu's own settings

Everything is checked here, before anything is made, with docker's messages.
"""

from __future__ import annotations

import os

from teu.engine.config import units
from teu.engine.errors import InvalidArgument

DEFAULT_SHM_SIZE = 64 << 20
LOG_DRIVERS = ("k8s-file", "json-file", "none")
LOG_OPTIONS = ("max-size", "max-file")
# docker's list of sysctls that are namespaced (daemon/oci_linux.go, opts/opts.go)
IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
               "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
BLKIO_WEIGHT_FILES = ("blkio.weight", "blkio.bfq.weight")
CGROUP_V1_BLKIO = "/sys/fs/cgroup/blkio"


def _list(opts: dict, key: str) -> list:
    value = opts.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def namespace_mode(value: str | None, flag: str, allowed: tuple[str, ...],
                   joinable: bool = False) -> str:
    value = value or ""
    if value in allowed or (joinable and value.startswith("container:")
                            and value.partition(":")[2]):
        return value
    raise InvalidArgument(f"invalid {flag}: {value}")


def parse_into(opts: dict, settings: dict) -> None:
    config, host, teu = settings["Config"], settings["HostConfig"], settings["Teu"]
    host["PidMode"] = namespace_mode(opts.get("pid"), "PID mode", ("", "host"), True)
    host["IpcMode"] = namespace_mode(opts.get("ipc") or "private", "IPC mode",
                                     ("private", "host", "shareable", "none"), True)
    host["UTSMode"] = namespace_mode(opts.get("uts"), "UTS mode", ("", "host"), True)
    host["CgroupnsMode"] = namespace_mode(opts.get("cgroupns") or "host", "cgroup namespace "
                                          "mode", ("host", "private"))
    host["UsernsMode"] = userns(opts.get("userns"))
    if host["UTSMode"] == "host" and opts.get("hostname"):
        raise InvalidArgument("conflicting options: hostname and the UTS mode")
    host["ShmSize"] = (units.size(opts["shm_size"], "--shm-size") if opts.get("shm_size")
                       else DEFAULT_SHM_SIZE)
    if host["ShmSize"] <= 0:
        raise units.bad("--shm-size", opts["shm_size"], "must be greater than 0")
    host["GroupAdd"] = group_add(_list(opts, "group_add"))
    host["Sysctls"] = sysctls(_list(opts, "sysctl"), host)
    host["Devices"] = [device(d) for d in _list(opts, "device")]
    host["DeviceCgroupRules"] = [cgroup_rule(r) for r in _list(opts, "device_cgroup_rule")]
    host["OomKillDisable"] = bool(opts.get("oom_kill_disable"))
    host["OomScoreAdj"] = oom_score_adj(opts.get("oom_score_adj"))
    host["MemoryReservation"] = (units.size(opts["memory_reservation"],
                                            "--memory-reservation")
                                 if opts.get("memory_reservation") else 0)
    _blkio(opts, host)
    host["LogConfig"] = log_config(opts.get("log_driver"), _list(opts, "log_opt"))
    host["ContainerIDFile"] = cidfile(opts.get("cidfile"))
    host["VolumesFrom"] = [volumes_from(v) for v in _list(opts, "volumes_from")]
    attach = streams(_list(opts, "attach"))
    if attach is not None:
        if opts.get("detach"):
            raise InvalidArgument("Conflicting options: -a and -d")
        config["AttachStdin"] = "stdin" in attach
        config["AttachStdout"] = "stdout" in attach
        config["AttachStderr"] = "stderr" in attach
        config["StdinOnce"] = config["AttachStdin"] and config["OpenStdin"]
    if opts.get("sig_proxy") is False:
        teu["SigProxy"] = False
    if opts.get("detach_keys") is not None:
        detach_keys(opts["detach_keys"])  # docker: a bad sequence fails the run
        teu["DetachKeys"] = opts["detach_keys"]
    if opts.get("platform"):
        teu["Platform"] = platform(opts["platform"])


def userns(value: str | None) -> str:
    if not value or value == "host":
        return value or ""
    # The runtime builds user-namespaced containers (linux.uidMappings); what is missing
    # is the engine's side: id-mapped (or chowned) layers and volumes. UsernsMode is the
    # field it will read.
    raise InvalidArgument(f"--userns {value}: user-namespaced containers are not supported "
                          "by the engine yet (use --userns host)")


def group_add(items: list[str]) -> list[str]:
    for g in items:
        if not g or ":" in g:
            raise InvalidArgument(f"invalid --group-add {g!r}: a group name or number")
    return items


def sysctls(items: list[str], host: dict) -> dict[str, str]:
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise InvalidArgument(f"invalid argument \"{item}\" for \"--sysctl\" flag: "
                                  "sysctl must be in the form key=value")
        if key in IPC_SYSCTLS or key.startswith("fs.mqueue."):
            if host["IpcMode"] == "host":
                raise InvalidArgument(f"sysctl {key!r} is not allowed in host IPC mode")
        elif key.startswith("net."):
            if host.get("NetworkMode") == "host":
                raise InvalidArgument(f"sysctl {key!r} is not allowed in host network mode")
        else:
            raise InvalidArgument(f"sysctl {key!r} is not whitelisted (only namespaced "
                                  "kernel.msg*/shm*/sem, fs.mqueue.* and net.* are)")
        out[key] = value
    return out


def device(spec: str) -> dict:
    """--device HOST[:CONTAINER][:PERMS] -> docker's DeviceMapping."""
    parts = spec.split(":")
    perms = "rwm"
    if len(parts) > 1 and parts[-1] and set(parts[-1]) <= set("rwm") \
            and not parts[-1].startswith("/"):
        perms = parts.pop()
    if len(parts) > 2 or not parts[0]:
        raise InvalidArgument(f"invalid device specification: {spec}")
    host_path = parts[0]
    inside = parts[1] if len(parts) > 1 and parts[1] else host_path
    if not inside.startswith("/"):
        raise InvalidArgument(f"invalid device specification: {spec}: the container path "
                              "must be absolute")
    import stat

    try:
        st = os.stat(host_path)
    except OSError:
        raise InvalidArgument(f"error gathering device information while adding custom "
                              f"device \"{host_path}\": no such file or directory") from None
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
        raise InvalidArgument(f"error gathering device information while adding custom "
                              f"device \"{host_path}\": not a device node")
    return {"PathOnHost": host_path, "PathInContainer": inside, "CgroupPermissions": perms}


def cgroup_rule(rule: str) -> str:
    """'c 1:3 rwm', 'b *:* m', 'a' (docker's device cgroup rule syntax)."""
    parts = rule.split()
    ok = bool(parts) and parts[0] in ("a", "b", "c")
    if ok and len(parts) == 3:
        major, colon, minor = parts[1].partition(":")
        ok = bool(colon) and all(x == "*" or x.isdigit() for x in (major, minor)) \
            and bool(parts[2]) and set(parts[2]) <= set("rwm")
    elif ok:
        ok = parts == ["a"]
    if not ok:
        raise InvalidArgument(f"invalid device cgroup format '{rule}'")
    return rule


def oom_score_adj(value: str | None) -> int:
    if value is None:
        return 0
    n = units.integer(value, "--oom-score-adj")
    if not -1000 <= n <= 1000:
        raise InvalidArgument(f"Invalid value {n}, range for oom score adj is [-1000, 1000]")
    return n


def _blkio(opts: dict, host: dict) -> None:
    weight = opts.get("blkio_weight")
    host["BlkioWeight"] = units.integer(weight, "--blkio-weight") if weight else 0
    if host["BlkioWeight"] and not 10 <= host["BlkioWeight"] <= 1000:
        raise InvalidArgument("Range of blkio weight is from 10 to 1000")
    host["BlkioWeightDevice"] = [_rate(d, "--blkio-weight-device", weight=True)
                                 for d in _list(opts, "blkio_weight_device")]
    if host["BlkioWeight"] or host["BlkioWeightDevice"]:
        if not any(os.path.exists(os.path.join(CGROUP_V1_BLKIO, f))
                   for f in BLKIO_WEIGHT_FILES) and not _v2_io_weight():
            raise InvalidArgument("--blkio-weight: this kernel's blkio cgroup has no weight "
                                  "files (blkio.weight, blkio.bfq.weight): the I/O scheduler "
                                  "in use does not support weights")
    for flag, key, iops in (("device_read_bps", "BlkioDeviceReadBps", False),
                            ("device_write_bps", "BlkioDeviceWriteBps", False),
                            ("device_read_iops", "BlkioDeviceReadIOps", True),
                            ("device_write_iops", "BlkioDeviceWriteIOps", True)):
        host[key] = [_rate(d, "--" + flag.replace("_", "-"), iops=iops)
                     for d in _list(opts, flag)]


def _v2_io_weight() -> bool:
    return os.path.exists("/sys/fs/cgroup/io.weight") or os.path.exists(
        "/sys/fs/cgroup/cgroup.subtree_control") and "io" in open(
        "/sys/fs/cgroup/cgroup.subtree_control").read().split()


def _rate(spec: str, flag: str, iops: bool = False, weight: bool = False) -> dict:
    path, colon, value = spec.rpartition(":")
    if not colon or not path.startswith("/dev/"):
        raise units.bad(flag, spec, f"bad format: {spec}")
    if not os.path.exists(path):
        raise units.bad(flag, spec, f"no such device: {path}")
    if weight:
        w = units.integer(value, flag)
        if not 10 <= w <= 1000:
            raise units.bad(flag, spec, "weight must be between 10 and 1000")
        return {"Path": path, "Weight": w}
    rate = units.integer(value, flag, 0) if iops else units.size(value, flag)
    return {"Path": path, "Rate": rate}


def log_config(driver: str | None, items: list[str]) -> dict:
    driver = driver or "k8s-file"
    if driver not in LOG_DRIVERS:
        raise InvalidArgument(f'logger: no log driver named \'{driver}\' is registered '
                              f"(teu has {', '.join(LOG_DRIVERS)})")
    conf: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise InvalidArgument(f"invalid key value pair format in logging opts: {item}")
        if key not in LOG_OPTIONS or driver == "none":
            raise InvalidArgument(f"unknown log opt '{key}' for {driver} log driver")
        conf[key] = value
    if "max-size" in conf:
        if units.size(conf["max-size"], "--log-opt max-size") <= 0:
            raise InvalidArgument("max-size must be a positive number")
    if "max-file" in conf:
        n = units.integer(conf["max-file"], "--log-opt max-file")
        if n < 1:
            raise InvalidArgument("max-file cannot be less than 1")
        if n > 1:  # conmon keeps one file, which starts over at max-size
            raise InvalidArgument(f"--log-opt max-file={n}: teu keeps one log file per "
                                  "container (conmon's); max-file=1 only")
    return {"Type": driver, "Config": conf}


def cidfile(path: str | None) -> str:
    if not path:
        return ""
    if os.path.exists(path):
        raise InvalidArgument(f"Container ID file found, make sure the other container isn't "
                              f"running or delete {path}")
    return path


def volumes_from(spec: str) -> str:
    ref, _, mode = spec.partition(":")
    if not ref or mode not in ("", "ro", "rw"):
        raise InvalidArgument(f"invalid --volumes-from {spec!r}: CONTAINER[:ro|rw]")
    return spec


def streams(items: list[str]) -> set[str] | None:
    if not items:
        return None
    out = set()
    for item in items:
        for s in item.lower().split(","):
            if s not in ("stdin", "stdout", "stderr"):
                raise InvalidArgument(f"invalid argument \"{item}\" for \"-a, --attach\" "
                                      "flag: valid streams are STDIN, STDOUT and STDERR")
            out.add(s)
    return out


def detach_keys(value: str) -> bytes:
    """docker's --detach-keys: `ctrl-p,ctrl-q`, `a,ctrl-@`... -> the bytes typed."""
    out = bytearray()
    for key in value.split(","):
        if len(key) == 1:
            out.append(ord(key))
        elif key.lower().startswith("ctrl-") and len(key) == 6:
            c = key[5].lower()
            if "a" <= c <= "z":
                out.append(ord(c) - ord("a") + 1)
            elif c in "@[\\]^_":
                out.append({"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}[c])
            else:
                raise InvalidArgument(f"Unknown character: '{key}'")
        else:
            raise InvalidArgument(f"Unknown character: '{key}'")
    if not out:
        raise InvalidArgument("--detach-keys: an empty sequence")
    return bytes(out)


def host_platform() -> tuple[str, str]:
    machine = os.uname().machine
    arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(machine, machine)
    return "linux", arch


def platform(value: str) -> str:
    """--platform: the host's (os, os/arch, os/arch/variant) only: teu runs no emulation."""
    parts = value.lower().split("/")
    os_name, arch = host_platform()
    if parts[0] != os_name or (len(parts) > 1 and parts[1] not in (arch, "")) \
            or len(parts) > 3:
        raise InvalidArgument(f"--platform {value}: only the host's platform "
                              f"({os_name}/{arch}) can run here (no emulation)")
    return f"{os_name}/{arch}"
