"""/_ping, /version, /info, /system/df: what a client asks first."""

from __future__ import annotations

import platform
from typing import Any

from teu.dockerapi import versions
from teu.dockerapi.http import Request, Send, respond, respond_json
from teu.dockerapi.service import Service

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}


def _version() -> str:
    import teu

    return getattr(teu, "__version__", "0")


async def ping(svc: Service, req: Request, send: Send) -> None:
    await respond(req, send, 200, b"OK", headers={
        "Builder-Version": "1", "Cache-Control": "no-cache, no-store, must-revalidate",
        "Pragma": "no-cache"})


def version_object() -> dict[str, Any]:
    v = _version()
    arch = _ARCH.get(platform.machine(), platform.machine())
    details = {"ApiVersion": versions.MAX_VERSION, "MinAPIVersion": versions.MIN_VERSION,
               "Os": "linux", "Arch": arch, "KernelVersion": platform.release(),
               "GitCommit": "", "GoVersion": f"python{platform.python_version()}",
               "BuildTime": ""}
    return {"Platform": {"Name": "teu"},
            "Components": [{"Name": "Engine", "Version": v, "Details": details}],
            "Version": v, **details}


async def version(svc: Service, req: Request, send: Send) -> None:
    await respond_json(req, send, version_object())


def info_object(engine: Any) -> dict[str, Any]:
    """teu's `info` in the Engine API's shape (Runtimes a map, the fields clients read)."""
    import shutil

    from teu.engine.views.system import info

    i = info(engine)
    runtimes = {r: {"path": shutil.which(r) or r} for r in i.pop("Runtimes")}
    arch = i["Architecture"]
    return {"ID": "", "Containers": i["Containers"], "ContainersRunning": i["ContainersRunning"],
            "ContainersPaused": i["ContainersPaused"],
            "ContainersStopped": i["ContainersStopped"], "Images": i["Images"],
            "Driver": i["Driver"], "DriverStatus": [], "Plugins": {
                "Volume": ["local"], "Network": ["bridge", "host", "null"],
                "Authorization": None, "Log": ["json-file", "k8s-file"]},
            "MemoryLimit": True, "SwapLimit": True, "KernelMemory": False,
            "CpuCfsPeriod": True, "CpuCfsQuota": True, "CPUShares": True, "CPUSet": True,
            "PidsLimit": True, "IPv4Forwarding": True, "BridgeNfIptables": False,
            "BridgeNfIp6tables": False, "Debug": False, "NFd": 0, "OomKillDisable": True,
            "NGoroutines": 0, "SystemTime": _now(), "LoggingDriver": "json-file",
            "CgroupDriver": i["CgroupDriver"], "CgroupVersion": i["CgroupVersion"],
            "NEventsListener": 0, "KernelVersion": i["KernelVersion"],
            "OperatingSystem": i["OperatingSystem"], "OSVersion": "", "OSType": "linux",
            "Architecture": arch, "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {"InsecureRegistryCIDRs": ["127.0.0.0/8"],
                               "IndexConfigs": {}, "Mirrors": []},
            "NCPU": i["NCPU"], "MemTotal": i["MemTotal"], "GenericResources": None,
            "DockerRootDir": i["DockerRootDir"], "HttpProxy": "", "HttpsProxy": "",
            "NoProxy": "", "Name": i["Name"], "Labels": [], "ExperimentalBuild": False,
            "ServerVersion": _version(), "Runtimes": runtimes,
            "DefaultRuntime": i["DefaultRuntime"], "Swarm": {
                "NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive",
                "ControlAvailable": False, "Error": "", "RemoteManagers": None},
            "LiveRestoreEnabled": True, "Isolation": "", "InitBinary": "catatonit",
            "ContainerdCommit": {"ID": ""}, "RuncCommit": {"ID": ""},
            "InitCommit": {"ID": ""}, "SecurityOptions": i["SecurityOptions"],
            "Warnings": None}


def _now() -> str:
    import datetime

    return datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")


async def info(svc: Service, req: Request, send: Send) -> None:
    await respond_json(req, send, await svc.call(info_object))


def _df(svc: Service, req: Request) -> dict[str, Any]:
    """docker system df's objects: images, containers, volumes with their usage."""
    from teu.dockerapi.containers import _list_sync
    from teu.dockerapi.images import _epoch
    from teu.engine.storage import volumes
    from teu.image.store import Store

    e = svc.engine()
    try:
        containers = _list_sync(e, True, {}, None)
        vols = []
        for v in e.db.volumes():
            info = volumes.inspect(e.paths, e.db, v["name"])
            info["UsageData"] = {"Size": volumes.du(info["Mountpoint"]),
                                 "RefCount": len(volumes.users(e.db, v["name"]))}
            vols.append(info)
    finally:
        e.close()
    st = Store(svc.root)
    try:
        rows = list(st.images())
    finally:
        st.close()
    used = {c["ImageID"] for c in containers}
    images = [{"Id": r.id, "ParentId": "", "RepoTags": r.tags or None,
               "RepoDigests": r.digests or [], "Created": _epoch(r.created), "Size": r.size,
               "SharedSize": 0, "VirtualSize": r.size, "Labels": {},
               "Containers": sum(1 for c in containers if c["ImageID"] == r.id)}
              for r in rows]
    for c in containers:
        c.setdefault("SizeRw", 0)
        c.setdefault("SizeRootFs", 0)
    return {"LayersSize": sum(r.size for r in rows), "Images": images,
            "Containers": containers, "Volumes": vols, "BuildCache": [],
            "_used": len(used)}


async def df(svc: Service, req: Request, send: Send) -> None:
    out = await svc.thread(_df, svc, req)
    out.pop("_used", None)
    await respond_json(req, send, out)


ROUTES = [
    ("GET", r"/system/df", df),
    ("GET", r"/_ping", ping),
    ("HEAD", r"/_ping", ping),
    ("GET", r"/version", version),
    ("GET", r"/info", info),
]
