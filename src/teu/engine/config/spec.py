"""The OCI runtime spec of a container: its settings + image, hardened by default like docker.

Defaults (moby's oci.DefaultSpec and daemon/oci_linux.go): docker's 14
capabilities, docker's seccomp profile (filtered for those capabilities), the
masked and read-only /proc and /sys paths, a private tmpfs /dev with the
standard devices only, private pid/ipc/uts/mount (and network, unless
--network host) namespaces, /sys and the cgroup tree read-only. `--privileged`
lifts all of that; `--cap-add/--cap-drop`, `--security-opt` and the resource
flags adjust it.
"""

from __future__ import annotations

import os

DEFAULT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
MASKED_PATHS = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                "/sys/devices/virtual/powercap"]
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
INIT_PATH = "/dev/init"  # on the container's tmpfs /dev: the init binary never lands in a layer
CPU_PERIOD = 100_000


def capabilities(host: dict) -> list[str]:
    from teu.oci.runtime_config import CAPABILITIES

    if host.get("Privileged"):
        return list(CAPABILITIES)
    caps = list(DEFAULT_CAPS)
    adds, drops = host.get("CapAdd") or [], host.get("CapDrop") or []
    if "ALL" in drops:
        caps = []
    if "ALL" in adds:
        caps = list(CAPABILITIES)
    for c in adds:
        if c != "ALL" and c not in caps:
            caps.append(c)
    return [c for c in caps if c not in drops]


def base_mounts(host: dict) -> list[dict]:
    ro_sys = [] if host.get("Privileged") else ["ro"]
    return [
        {"destination": "/proc", "type": "proc", "source": "proc",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", *ro_sys]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", *ro_sys]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    ]


def resources(host: dict) -> dict:
    r: dict = {"devices": [{"allow": bool(host.get("Privileged")), "access": "rwm"}]}
    memory: dict = {}
    if host.get("Memory"):
        memory["limit"] = host["Memory"]
        swap = host.get("MemorySwap") or 0
        # docker: no --memory-swap means as much swap as memory (a total of twice the limit)
        memory["swap"] = -1 if swap == -1 else (swap or 2 * host["Memory"])
    if memory:
        r["memory"] = memory
    cpu: dict = {}
    if host.get("NanoCpus"):
        cpu["period"] = CPU_PERIOD
        cpu["quota"] = host["NanoCpus"] * CPU_PERIOD // 1_000_000_000
    if host.get("CpuShares"):
        cpu["shares"] = host["CpuShares"]
    if host.get("CpusetCpus"):
        cpu["cpus"] = host["CpusetCpus"]
    if cpu:
        r["cpu"] = cpu
    if host.get("PidsLimit") and host["PidsLimit"] > 0:
        r["pids"] = {"limit": host["PidsLimit"]}
    if host.get("MemoryReservation"):
        r.setdefault("memory", {})["reservation"] = host["MemoryReservation"]
    if host.get("OomKillDisable"):
        r.setdefault("memory", {})["disableOOMKiller"] = True
    for d in host.get("Devices") or []:
        kind, major, minor = _device_numbers(d["PathOnHost"])
        r["devices"].append({"allow": True, "type": kind, "major": major, "minor": minor,
                             "access": d["CgroupPermissions"]})
    for rule in host.get("DeviceCgroupRules") or []:
        r["devices"].append(_cgroup_rule(rule))
    block = _block_io(host)
    if block:
        r["blockIO"] = block
    return r


def _device_numbers(path: str) -> tuple[str, int, int]:
    import stat

    st = os.stat(path)
    return ("b" if stat.S_ISBLK(st.st_mode) else "c"), os.major(st.st_rdev), \
        os.minor(st.st_rdev)


def _cgroup_rule(rule: str) -> dict:
    parts = rule.split()
    out: dict = {"allow": True, "type": parts[0], "access": "rwm"}
    if len(parts) == 3:
        major, _, minor = parts[1].partition(":")
        if major != "*":
            out["major"] = int(major)
        if minor != "*":
            out["minor"] = int(minor)
        out["access"] = parts[2]
    return out


def _block_io(host: dict) -> dict:
    out: dict = {}
    if host.get("BlkioWeight"):
        out["weight"] = host["BlkioWeight"]
    if host.get("BlkioWeightDevice"):
        out["weightDevice"] = [{**_major_minor(d["Path"]), "weight": d["Weight"]}
                               for d in host["BlkioWeightDevice"]]
    for key, name in (("BlkioDeviceReadBps", "throttleReadBpsDevice"),
                      ("BlkioDeviceWriteBps", "throttleWriteBpsDevice"),
                      ("BlkioDeviceReadIOps", "throttleReadIOPSDevice"),
                      ("BlkioDeviceWriteIOps", "throttleWriteIOPSDevice")):
        if host.get(key):
            out[name] = [{**_major_minor(d["Path"]), "rate": d["Rate"]} for d in host[key]]
    return out


def _major_minor(path: str) -> dict:
    _, major, minor = _device_numbers(path)
    return {"major": major, "minor": minor}


def _devices(host: dict) -> list[dict]:
    import stat

    out = []
    for d in host.get("Devices") or []:
        st = os.stat(d["PathOnHost"])
        kind, major, minor = _device_numbers(d["PathOnHost"])
        out.append({"path": d["PathInContainer"], "type": kind, "major": major,
                    "minor": minor, "fileMode": stat.S_IMODE(st.st_mode), "uid": st.st_uid,
                    "gid": st.st_gid})
    return out


def build(cid: str, settings: dict, rootfs: str, bundle: str, user: tuple,
          runtime_cgroup_parent: str = "/teu", joins: dict | None = None) -> dict:
    """The spec for one start. `user` is (uid, gid, additional gids, home) from users.resolve;
    `joins` the pid of the container whose namespace a container:X mode joins, by kind."""
    joins = joins or {}
    config, host = settings["Config"], settings["HostConfig"]
    uid, gid, extra_gids, home = user
    caps = capabilities(host)
    args = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    if host.get("Init"):
        args = [INIT_PATH, "--", *args]
    env = list(config.get("Env") or [])
    keys = {e.split("=", 1)[0] for e in env}
    if "HOSTNAME" not in keys:
        env.insert(1, f"HOSTNAME={config.get('Hostname') or cid[:12]}")
    if config.get("Tty") and "TERM" not in keys:
        env.append("TERM=xterm")
    if "HOME" not in keys:
        env.append(f"HOME={home}")
    security = _security(host)
    process: dict = {
        "terminal": bool(config.get("Tty")),
        "user": {"uid": uid, "gid": gid, **({"additionalGids": extra_gids} if extra_gids
                                           else {})},
        "args": args,
        "env": env,
        "cwd": config.get("WorkingDir") or "/",
        "capabilities": {k: list(caps) for k in ("bounding", "effective", "permitted")},
        "noNewPrivileges": security["no_new_privileges"],
        "oomScoreAdj": host.get("OomScoreAdj") or 0,
    }
    rlimits = [{"type": f"RLIMIT_{u['Name'].upper()}", "soft": u["Soft"], "hard": u["Hard"]}
               for u in host.get("Ulimits") or []]
    if rlimits:
        process["rlimits"] = rlimits
    mounts = _shm(base_mounts(host), host, bundle)
    for name in ("resolv.conf", "hostname", "hosts"):
        mounts.append({"destination": f"/etc/{name}", "type": "bind",
                       "source": os.path.join(bundle, name), "options": ["rbind", "rprivate"]})
    if host.get("Init"):
        mounts.append({"destination": INIT_PATH, "type": "bind", "source": init_binary(),
                       "options": ["bind", "ro", "nosuid", "nodev"]})
    user_mounts = []
    for dest, opts in (host.get("Tmpfs") or {}).items():
        options = ["nosuid", "nodev", "noexec"]
        options += [o for o in opts.split(",") if o] if opts else []
        user_mounts.append({"destination": dest, "type": "tmpfs", "source": "tmpfs",
                            "options": options})
    for m in settings.get("Mounts") or []:
        if m.get("Type") == "tmpfs":
            t = m.get("TmpfsOptions") or {}
            options = ["nosuid", "nodev", "noexec", "rw" if m.get("RW", True) else "ro"]
            if t.get("SizeBytes"):
                options.append(f"size={t['SizeBytes']}")
            if t.get("Mode") is not None:
                options.append(f"mode={t['Mode']:o}")
            user_mounts.append({"destination": m["Destination"], "type": "tmpfs",
                                "source": "tmpfs", "options": options})
            continue
        options = ["bind" if m.get("NonRecursive") else "rbind",
                   "ro" if not m.get("RW", True) else "rw"]
        options.append(m.get("Propagation") or "rprivate")
        user_mounts.append({"destination": m["Destination"], "type": "bind",
                            "source": m["Source"], "options": options})
    for s in (settings.get("Teu") or {}).get("Secrets") or []:
        user_mounts.append({"destination": s["Target"], "type": "bind",
                            "source": os.path.join(bundle, "secrets", _secret_file(s)),
                            "options": ["bind", "ro", "nosuid", "nodev", "noexec"]})
    # Parents before children, as docker sorts them (by the number of path components).
    user_mounts.sort(key=lambda m: os.path.normpath(m["destination"]).count("/"))
    mounts += user_mounts
    namespaces = []
    for kind, mode in (("pid", host.get("PidMode") or ""),
                       ("ipc", host.get("IpcMode") or "private"),
                       ("uts", host.get("UTSMode") or "")):
        if mode == "host":
            continue
        if mode.startswith("container:"):
            namespaces.append({"type": kind, "path": f"/proc/{joins[kind]}/ns/{kind}"})
        else:
            namespaces.append({"type": kind})
    namespaces.append({"type": "mount"})
    if host.get("CgroupnsMode") == "private":
        namespaces.append({"type": "cgroup"})
    network = host.get("NetworkMode") or "none"
    if network.startswith("container:"):
        namespaces.append({"type": "network", "path": network.partition(":")[2]})
    elif network != "host":
        namespaces.append({"type": "network"})
    linux: dict = {
        "cgroupsPath": f"{runtime_cgroup_parent}/{cid}",
        "resources": resources(host),
        "namespaces": namespaces,
    }
    if not host.get("Privileged"):
        linux["maskedPaths"] = list(MASKED_PATHS)
        linux["readonlyPaths"] = list(READONLY_PATHS)
        if security["seccomp"] is not None:
            linux["seccomp"] = security["seccomp"](caps)
    else:
        linux["devices"] = host_devices()
    if host.get("Devices"):
        linux["devices"] = linux.get("devices", []) + _devices(host)
    if host.get("Sysctls"):
        linux["sysctl"] = dict(host["Sysctls"])
    spec = {
        "ociVersion": "1.2.0",
        "process": process,
        "root": {"path": rootfs, "readonly": bool(host.get("ReadonlyRootfs"))},
        "mounts": mounts,
        "linux": linux,
        "annotations": {"io.teu.container.id": cid},
    }
    uts = host.get("UTSMode") or ""
    if uts != "host" and not uts.startswith("container:"):  # only in a UTS namespace of its own
        spec["hostname"] = config.get("Hostname") or cid[:12]
    return spec


def _shm(mounts: list[dict], host: dict, bundle: str) -> list[dict]:
    """/dev/shm: --shm-size's tmpfs, the host's (--ipc host), none (--ipc none), or,
    with --ipc container:X, X's own: the engine mounts a copy of X's tmpfs mount on
    BUNDLE/shm (teu.engine.storage.rootfs.mount_shm_of), bound here as docker binds
    the donor's shm."""
    mode = host.get("IpcMode") or "private"
    out = []
    for m in mounts:
        if m["destination"] != "/dev/shm":
            out.append(m)
        elif mode == "host" or mode.startswith("container:"):
            source = "/dev/shm" if mode == "host" else os.path.join(bundle, "shm")
            out.append({"destination": "/dev/shm", "type": "bind", "source": source,
                        "options": ["rbind", "nosuid", "noexec", "nodev"]})
        elif mode != "none":
            size = host.get("ShmSize") or 65536 * 1024
            out.append({**m, "options": [o for o in m["options"] if not o.startswith("size=")]
                        + [f"size={size}"]})
    return out


def _security(host: dict) -> dict:
    """no-new-privileges, and a function caps -> linux.seccomp (None: unconfined)."""
    nnp = False
    profile_path: str | None = ""
    for opt in host.get("SecurityOpt") or []:
        key, sep, value = opt.partition("=")
        if not sep:
            key, _, value = opt.partition(":")
        if key == "no-new-privileges":
            nnp = value in ("", "true")
        elif key == "seccomp":
            profile_path = None if value == "unconfined" else value
    seccomp = None
    if profile_path is not None:
        def seccomp(caps: list[str], path: str = profile_path) -> dict:
            from teu.engine.config import seccomp as S

            return S.to_oci(S.load(path or None), caps)
    return {"no_new_privileges": nnp, "seccomp": seccomp}


def _secret_file(s: dict) -> str:
    return s["Target"].strip("/").replace("/", "_")


def init_binary() -> str:
    """A static init for --init: tini (docker's docker-init is tini) or catatonit."""
    import shutil

    for name in ("tini-static", "catatonit", "tini"):
        found = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}")
                                       else None)
        if found:
            return found
    from teu.engine.errors import EngineError

    raise EngineError("--init: no init binary found (apt-get install tini)")


def host_devices() -> list[dict]:
    """Every character and block device in the host's /dev (what --privileged gets)."""
    import stat

    out = []
    for top, dirs, files in os.walk("/dev"):
        dirs[:] = [d for d in dirs if d not in ("pts", "shm", "mqueue", "fd")]
        for name in files:
            path = os.path.join(top, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            kind = "c" if stat.S_ISCHR(st.st_mode) else "b" if stat.S_ISBLK(st.st_mode) else None
            if kind is None or path in ("/dev/console", "/dev/ptmx", "/dev/tty"):
                continue
            out.append({"path": path, "type": kind, "major": os.major(st.st_rdev),
                        "minor": os.minor(st.st_rdev), "fileMode": st.st_mode & 0o777,
                        "uid": st.st_uid, "gid": st.st_gid})
    return out


def etc_files(bundle: str, cid: str, settings: dict) -> None:
    """hostname, hosts and resolv.conf for the container (bind-mounted over /etc's)."""
    config, host = settings["Config"], settings["HostConfig"]
    network = host.get("NetworkMode") or "none"
    hostname = config.get("Hostname") or cid[:12]
    if network == "host" or host.get("UTSMode") == "host":
        hostname = os.uname().nodename if not config.get("Hostname") else hostname
    if network == "host":
        hosts = _read("/etc/hosts")
    else:
        hosts = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                 "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                 "ff02::2\tip6-allrouters\n")
        if network == "none":
            hosts += f"127.0.0.1\t{hostname}\n"
    resolv = _read("/etc/resolv.conf")
    for name, text in (("hostname", hostname + "\n"), ("hosts", hosts),
                       ("resolv.conf", resolv)):
        with open(os.path.join(bundle, name), "w") as f:
            f.write(text)


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""
