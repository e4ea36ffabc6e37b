"""`container prune` (stopped containers) and `system prune` (+ volumes, images)."""

from __future__ import annotations

import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.storage.volumes import du


def prune_containers(engine: Engine, filters: list[str] | dict | None = None
                     ) -> tuple[list[str], int]:
    """docker container prune: stopped containers matching the filters (label=, label!=,
    until=)."""
    from teu.engine.timefmt import until_of
    from teu.labelfilter import matches, parse

    wanted = parse(filters, allowed=("until",))
    until = until_of(wanted)
    removed, freed = [], 0
    from teu.engine.teardown import remove_stopped

    for row in S.refresh_all(engine):
        if row["status"] not in ("exited", "created", "dead"):
            continue
        if row.settings["Teu"].get("PodInfra"):
            continue  # a pod's infra goes with its pod (teu pod rm)
        if until is not None and row["created"] >= until:
            continue
        if not matches(row.settings["Config"].get("Labels") or {}, wanted):
            continue
        freed += du(engine.paths.container(row["id"], "upper"))
        remove_stopped(engine, row, volumes=False)
        removed.append(row["id"])
    from teu import journal

    journal.append(engine.paths.root, "container", "prune", "", {"reclaimed": str(freed)})
    return removed, freed


def containers_df(engine: Engine) -> dict:
    rows = S.refresh_all(engine)
    active = sum(1 for r in rows if r["status"] in S.RUNNING)
    size = sum(du(engine.paths.container(r["id"], "upper")) for r in rows)
    reclaim = sum(du(engine.paths.container(r["id"], "upper")) for r in rows
                  if r["status"] not in S.RUNNING)
    return {"total": len(rows), "active": active, "size": size, "reclaimable": reclaim,
            "at": time.time()}
