"""`ps`: containers as docker lists them (the --format fields), with docker's filters."""

from __future__ import annotations

import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import InvalidArgument
from teu.engine.timefmt import human_duration
from teu.engine.views.inspect import status_of

FILTERS = ("id", "name", "label", "status", "exited", "ancestor", "before", "since", "volume",
           "health", "network", "is-task")


def status_text(row: Row, now: float) -> str:
    """docker's STATUS column: Up 5 seconds, Exited (0) 2 minutes ago, Created, ..."""
    st = status_of(row)
    if st in ("running", "paused"):
        text = "Up " + human_duration(now - (row["started_at"] or now))
        if st == "paused":
            text += " (Paused)"
        elif row["health"]:
            from teu import fastjson

            health = fastjson.loads(row["health"]).get("Status")
            if health == "starting":
                text += " (health: starting)"
            elif health:
                text += f" ({health})"
        return text
    if st == "restarting":
        return f"Restarting ({row['exit_code'] or 0}) " + human_duration(
            now - (row["finished_at"] or now)) + " ago"
    if st == "exited":
        return f"Exited ({row['exit_code'] if row['exit_code'] is not None else 0}) " + \
            human_duration(now - (row["finished_at"] or now)) + " ago"
    if st == "removing":
        return "Removal In Progress"
    return st.capitalize()


def item(row: Row, now: float, no_trunc: bool = False) -> dict:
    from teu.engine.timefmt import rfc3339

    s = row.settings
    config = s["Config"]
    args = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    command = " ".join(args)
    if not no_trunc and len(command) > 20:
        command = command[:19] + "…"
    labels = config.get("Labels") or {}
    image = row["image"]
    return {
        "ID": row["id"] if no_trunc else row["id"][:12],
        "Image": image,
        "Command": f'"{command}"',
        "CreatedAt": time.strftime("%Y-%m-%d %H:%M:%S %z %Z", time.localtime(row["created"])),
        "RunningFor": human_duration(now - row["created"]) + " ago",
        "Ports": "",
        "State": status_of(row),
        "Status": status_text(row, now),
        "Size": "",
        "Names": row["name"],
        "Labels": ",".join(f"{k}={v}" for k, v in labels.items()),
        "Mounts": ",".join(m.get("Name") or m.get("Source", "") for m in s.get("Mounts") or []),
        "Networks": s["HostConfig"].get("NetworkMode") or "none",
        "LocalVolumes": str(sum(1 for m in s.get("Mounts") or [] if m.get("Type") == "volume")),
        "Created": rfc3339(row["created"]),
    }


def _parse_filters(filters: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in filters:
        key, eq, value = f.partition("=")
        if not eq or key not in FILTERS:
            raise InvalidArgument(f"invalid filter '{f}'")
        if key == "status" and value not in ("created", "restarting", "running", "removing",
                                             "paused", "exited", "dead"):
            raise InvalidArgument(f"invalid filter 'status={value}'")
        out.setdefault(key, []).append(value)
    return out


def _matches(engine: Engine, row: Row, f: dict[str, list[str]], by_ref: dict) -> bool:
    config = row.settings["Config"]
    for key, values in f.items():
        if key == "id" and not any(row["id"].startswith(v) for v in values):
            return False
        if key == "name" and not any(v.lstrip("/") in row["name"] for v in values):
            return False
        if key == "status" and status_of(row) not in values:
            return False
        if key == "exited" and not (status_of(row) == "exited" and str(row["exit_code"])
                                    in values):
            return False
        if key == "label":
            labels = config.get("Labels") or {}
            for v in values:
                k, eq, val = v.partition("=")
                if k not in labels or (eq and labels[k] != val):
                    return False
        if key == "ancestor" and not any(_ancestor(engine, row, v) for v in values):
            return False
        if key == "before" and not all(row["created"] < by_ref[v]["created"] for v in values):
            return False
        if key == "since" and not all(row["created"] > by_ref[v]["created"] for v in values):
            return False
        if key == "volume":
            from teu.engine.storage.volumes import volume_names

            mounted = set(volume_names(row.settings)) | {
                m.get("Destination") for m in row.settings.get("Mounts") or []}
            if not any(v in mounted for v in values):
                return False
        if key == "health":
            from teu import fastjson

            health = fastjson.loads(row["health"]).get("Status") if row["health"] else "none"
            if health not in values:
                return False
        if key == "network" and (row.settings["HostConfig"].get("NetworkMode")
                                 or "none") not in values:
            return False
    return True


def _ancestor(engine: Engine, row: Row, ref: str) -> bool:
    if row["image"] == ref or row["image_id"] == ref or row["image_id"][7:].startswith(ref):
        return True
    from teu.engine.config import images

    full = images.normalize(row["image"])
    return full is not None and full == images.normalize(ref)


def listing(engine: Engine, all_: bool = False, filters: list[str] | None = None,
            last: int | None = None, no_trunc: bool = False) -> list[dict]:
    f = _parse_filters(filters or [])
    rows = S.refresh_all(engine)
    from teu.engine.lifecycle.remove import sweep_exit_files

    sweep_exit_files(engine)
    by_ref = {}
    for key in ("before", "since"):
        for v in f.get(key, []):
            by_ref[v] = engine.find(v)
    if not all_ and "status" not in f and "exited" not in f:
        rows = [r for r in rows if status_of(r) in ("running", "paused", "restarting")]
    rows = [r for r in rows if _matches(engine, r, f, by_ref)]
    rows.sort(key=lambda r: r["created"], reverse=True)
    if last is not None and last >= 0:
        rows = rows[:last]
    now = time.time()
    out = [item(r, now, no_trunc) for r in rows]
    from teu.engine.network import ports_text

    for r, entry in zip(rows, out, strict=True):
        if r["status"] in ("running", "paused"):
            entry["Ports"] = ports_text(engine, r)  # docker's "0.0.0.0:8080->80/tcp"
    return out
