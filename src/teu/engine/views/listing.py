"""`ps`: containers as docker lists them (the --format fields), with docker's filters."""

from __future__ import annotations

import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.timefmt import human_duration
from teu.engine.views.inspect import status_of


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
        "Labels": ",".join(sorted(f"{k}={v}" for k, v in labels.items())),
        "LabelMap": dict(labels),  # for `.Label "k"` (teu.cli.ps pops it)
        "Mounts": ",".join(m.get("Name") or m.get("Source", "") for m in s.get("Mounts") or []),
        "Networks": s["HostConfig"].get("NetworkMode") or "none",
        "LocalVolumes": str(sum(1 for m in s.get("Mounts") or [] if m.get("Type") == "volume")),
        "Created": rfc3339(row["created"]),
    }


def _ancestor(engine: Engine, row: Row, ref: str) -> bool:
    if row["image"] == ref or row["image_id"] == ref or row["image_id"][7:].startswith(ref):
        return True
    from teu.engine.config import images

    full = images.normalize(row["image"])
    return full is not None and full == images.normalize(ref)


def listing(engine: Engine, all_: bool = False, filters: list[str] | None = None,
            last: int | None = None, no_trunc: bool = False) -> list[dict]:
    """docker ps: running containers (all with all_), newest first; filters as
    teu.engine.views.ps_filters says."""
    from teu.engine.views.ps_filters import PsFilter

    f = PsFilter(filters or [])
    if "pod" in f.by_key:
        from teu.engine.errors import NotFound
        from teu.engine.pods import store

        for ref in f.by_key["pod"]:
            try:
                f.pods.add(store.find(engine.db, ref).id)
            except NotFound:
                pass  # no such pod: matches nothing, as podman's filter
    rows = S.refresh_all(engine)
    from teu.engine.lifecycle.remove import sweep_exit_files

    sweep_exit_files(engine)
    bounds = {}
    for key in ("before", "since"):
        ref = f.reference(key)
        if ref is not None:
            bounds[key] = engine.find(ref)["created"]
    if not all_ and not f.lists_stopped:
        rows = [r for r in rows if status_of(r) in ("running", "paused", "restarting")]
    rows = [r for r in rows if f.matches(r, bounds, lambda row, ref: _ancestor(engine, row, ref),
                                         status_of(r))]
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
