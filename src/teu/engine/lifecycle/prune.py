"""`container prune` (stopped containers) and `system prune` (+ volumes, images)."""

from __future__ import annotations

import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.errors import InvalidArgument
from teu.engine.storage.volumes import du


def prune_containers(engine: Engine, filters: list[str] | None = None) -> tuple[list[str], int]:
    until = None
    labels: list[str] = []
    for f in filters or []:
        key, _, value = f.partition("=")
        if key == "until":
            from teu.engine.timefmt import since

            until = since(value)
        elif key == "label":
            labels.append(value)
        else:
            raise InvalidArgument(f"invalid filter '{key}'")
    removed, freed = [], 0
    from teu.engine.teardown import remove_stopped

    for row in S.refresh_all(engine):
        if row["status"] not in ("exited", "created", "dead"):
            continue
        if row.settings["Teu"].get("PodInfra"):
            continue  # a pod's infra goes with its pod (teu pod rm)
        if until is not None and row["created"] >= until:
            continue
        have = row.settings["Config"].get("Labels") or {}
        if any(not _label_match(have, v) for v in labels):
            continue
        freed += du(engine.paths.container(row["id"], "upper"))
        remove_stopped(engine, row, volumes=False)
        removed.append(row["id"])
    from teu import journal

    journal.append(engine.paths.root, "container", "prune", "", {"reclaimed": str(freed)})
    return removed, freed


def _label_match(labels: dict, spec: str) -> bool:
    k, eq, v = spec.partition("=")
    return k in labels and (not eq or labels[k] == v)


def containers_df(engine: Engine) -> dict:
    rows = S.refresh_all(engine)
    active = sum(1 for r in rows if r["status"] in S.RUNNING)
    size = sum(du(engine.paths.container(r["id"], "upper")) for r in rows)
    reclaim = sum(du(engine.paths.container(r["id"], "upper")) for r in rows
                  if r["status"] not in S.RUNNING)
    return {"total": len(rows), "active": active, "size": size, "reclaimable": reclaim,
            "at": time.time()}
