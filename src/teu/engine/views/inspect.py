"""`docker inspect`'s JSON for a container, from its row (secrets never appear: they are
kept apart from Config and HostConfig, and only their targets are listed)."""

from __future__ import annotations

import os

from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.network import network_settings
from teu.engine.timefmt import ZERO, rfc3339

DOCKER_STATUS = {"creating": "created", "starting": "created", "removing": "removing",
                 "restarting": "restarting", "running": "running", "paused": "paused",
                 "exited": "exited", "created": "created", "dead": "dead"}


# HostConfig as docker 20.10 (Engine API 1.41) shows a container made with no flags:
# every key, in docker's order, with docker's zero values. A container's own settings
# override these; keys docker omits when unset (Mounts, Init, Tmpfs, Sysctls,
# StorageOpt) appear only when set.
HOST_CONFIG_ZERO: dict = {
    "Binds": None, "ContainerIDFile": "", "LogConfig": {"Type": "k8s-file", "Config": {}},
    "NetworkMode": "none", "PortBindings": {}, "RestartPolicy": {"Name": "no",
                                                                 "MaximumRetryCount": 0},
    "AutoRemove": False, "VolumeDriver": "", "VolumesFrom": None, "CapAdd": None,
    "CapDrop": None, "CgroupnsMode": "host", "Dns": [], "DnsOptions": [], "DnsSearch": [],
    "ExtraHosts": None, "GroupAdd": None, "IpcMode": "private", "Cgroup": "", "Links": None,
    "OomScoreAdj": 0, "PidMode": "", "Privileged": False, "PublishAllPorts": False,
    "ReadonlyRootfs": False, "SecurityOpt": None, "UTSMode": "", "UsernsMode": "",
    "ShmSize": 67108864, "Runtime": "teu-runtime", "ConsoleSize": [0, 0], "Isolation": "",
    "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0,
    "BlkioWeightDevice": [], "BlkioDeviceReadBps": None, "BlkioDeviceWriteBps": None,
    "BlkioDeviceReadIOps": None, "BlkioDeviceWriteIOps": None, "CpuPeriod": 0, "CpuQuota": 0,
    "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "",
    "Devices": [], "DeviceCgroupRules": None, "DeviceRequests": None, "KernelMemory": 0,
    "KernelMemoryTCP": 0, "MemoryReservation": 0, "MemorySwap": 0, "MemorySwappiness": None,
    "OomKillDisable": False, "PidsLimit": None, "Ulimits": None, "CpuCount": 0,
    "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0, "MaskedPaths": None,
    "ReadonlyPaths": None,
}
HOST_CONFIG_OMITTED_WHEN_EMPTY = ("Mounts", "Init", "Tmpfs", "Sysctls", "StorageOpt")
CONFIG_ZERO: dict = {
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": True,
    "AttachStderr": True, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None,
    "Cmd": None, "Image": "", "Volumes": None, "WorkingDir": "", "Entrypoint": None,
    "OnBuild": None, "Labels": {},
}


def host_config(host: dict) -> dict:
    """docker's HostConfig from the stored one: every key, empty lists where docker
    says null as null."""
    from teu.engine.config.spec import MASKED_PATHS, READONLY_PATHS

    out = dict(HOST_CONFIG_ZERO)
    if not host.get("Privileged"):
        out["MaskedPaths"], out["ReadonlyPaths"] = list(MASKED_PATHS), list(READONLY_PATHS)
    for key, value in host.items():
        if key in HOST_CONFIG_OMITTED_WHEN_EMPTY and not value:
            continue
        if value in ([], {}) and key in HOST_CONFIG_ZERO and HOST_CONFIG_ZERO[key] is None:
            value = None
        out[key] = value
    return out


def config_of(config: dict) -> dict:
    return {**CONFIG_ZERO, **config}


def status_of(row: Row) -> str:
    return DOCKER_STATUS.get(row["status"], row["status"])


def container(engine: Engine, row: Row) -> dict:
    from teu import fastjson

    s = row.settings
    config, host = config_of(s["Config"]), dict(s["HostConfig"])
    cid = row["id"]
    bundle = engine.paths.container(cid)
    args = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    status = status_of(row)
    running = status in ("running", "paused")
    state = {
        "Status": status, "Running": running, "Paused": status == "paused",
        "Restarting": status == "restarting", "OOMKilled": bool(row["oom_killed"]),
        "Dead": status == "dead", "Pid": row["pid"] if running else 0,
        "ExitCode": row["exit_code"] if row["exit_code"] is not None else 0,
        "Error": row["error"] or "",
        "StartedAt": rfc3339(row["started_at"]) if row["started_at"] else ZERO,
        "FinishedAt": rfc3339(row["finished_at"]) if row["finished_at"] else ZERO,
    }
    if row["health"]:
        health = fastjson.loads(row["health"])
        state["Health"] = {k: health[k] for k in ("Status", "FailingStreak", "Log")
                           if k in health}
    teu = s.get("Teu") or {}
    layers = teu.get("Layers") or []
    overlay = teu.get("Storage", "overlay") == "overlay"
    mounts = [{k: v for k, v in m.items() if k != "CopyUp"} for m in s.get("Mounts") or []]
    host_out = host_config(host)
    out = {
        "Id": cid,
        "Created": rfc3339(row["created"]),
        "Path": args[0] if args else "",
        "Args": args[1:],
        "State": state,
        "Image": row["image_id"],
        "ImageName": row["image"],
        "ImageDigest": teu.get("ImageDigest"),  # set by --pin (teu.trust.pin)
        "ResolvConfPath": os.path.join(bundle, "resolv.conf"),
        "HostnamePath": os.path.join(bundle, "hostname"),
        "HostsPath": os.path.join(bundle, "hosts"),
        "LogPath": os.path.join(bundle, "ctr.log"),
        "Name": "/" + row["name"],
        "RestartCount": row["restart_count"],
        "Driver": "overlay" if overlay else "vfs",
        "Platform": teu.get("Platform", "linux"),
        "MountLabel": "", "ProcessLabel": "", "AppArmorProfile": "",
        "ExecIDs": None,
        "HostConfig": host_out,
        "GraphDriver": {"Name": "overlay" if overlay else "vfs", "Data": {
            "LowerDir": ":".join(reversed(layers)) if overlay else None,
            "MergedDir": os.path.join(bundle, "rootfs"),
            "UpperDir": os.path.join(bundle, "upper") if overlay else None,
            "WorkDir": os.path.join(bundle, "work") if overlay else None}},
        "Mounts": mounts,
        "Config": config,
        "NetworkSettings": network_settings(engine, row),
    }
    if teu.get("Secrets"):
        out["Secrets"] = [{"Target": x["Target"]} for x in teu["Secrets"]]
    return out
