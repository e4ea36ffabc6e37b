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


def status_of(row: Row) -> str:
    return DOCKER_STATUS.get(row["status"], row["status"])


def container(engine: Engine, row: Row) -> dict:
    from teu import fastjson

    s = row.settings
    config, host = dict(s["Config"]), dict(s["HostConfig"])
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
    host_out = {k: v for k, v in host.items() if k != "Mounts"}
    host_out["Mounts"] = None
    host_out["LogConfig"] = {"Type": "k8s-file", "Config": {}}
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
