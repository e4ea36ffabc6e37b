"""`up -d`, `ps` and `down` of a loaded project, through teu.engine and teu.network:
the project's networks (labelled as docker compose labels them), then one container per
service in dependency order; a container whose config hash is unchanged is left running."""

from __future__ import annotations

from collections.abc import Callable

from teu.compose import plan
from teu.compose.errors import ComposeError
from teu.compose.normalize import service_order


def _project_containers(engine, project: str) -> list:  # noqa: ANN001
    from teu.engine import state

    rows = state.refresh_all(engine)
    return [r for r in rows if (r.settings["Config"].get("Labels") or {}).get(plan.PROJECT)
            == project]


def up(engine, model: dict, say: Callable[[str], None]) -> None:  # noqa: ANN001
    """Create what is missing, recreate what changed, start what is stopped."""
    from teu.engine.lifecycle.control import stop
    from teu.engine.lifecycle.launch import start
    from teu.engine.lifecycle.remove import remove
    from teu.engine.lifecycle.run import run
    from teu.network.errors import NetworkNotFound
    from teu.network.store import Store

    project = model["name"]
    store = Store(engine.paths.root)
    for key, spec in sorted((model.get("networks") or {}).items()):
        name = spec["name"]
        try:
            store.get(name)
            continue
        except NetworkNotFound:
            if spec.get("external"):
                raise ComposeError(f"network {name} declared as external, but could not be "
                                   "found") from None
        store.create(name, spec.get("driver") or "bridge", internal=bool(spec.get("internal")),
                     labels={plan.PROJECT: project, plan.NETWORK: key,
                             plan.VERSION: "2.40.3", **(spec.get("labels") or {})})
        say(f" Network {name}  Created")
    from teu.engine.storage import volumes as vols

    for key, spec in sorted((model.get("volumes") or {}).items()):
        name = spec["name"]
        if engine.db.volume(name) is not None:
            continue
        if spec.get("external"):
            raise ComposeError(f"external volume \"{name}\" not found")
        vols.create(engine.paths, engine.db, name,
                    {plan.PROJECT: project, plan.VOLUME: key, plan.VERSION: "2.40.3",
                     **(spec.get("labels") or {})})
        say(f" Volume {name}  Created")
    existing = {r["name"]: r for r in _project_containers(engine, project)}
    for service in service_order(model["services"]):
        opts = plan.run_options(model, service)
        name = opts["name"]
        row = existing.get(name)
        if row is not None:
            labels = row.settings["Config"].get("Labels") or {}
            want = dict(x.split("=", 1) for x in opts["label"])[plan.HASH]
            if labels.get(plan.HASH) == want:
                if row["status"] != "running":
                    start(engine, row["id"])
                    say(f" Container {name}  Started")
                else:
                    say(f" Container {name}  Running")
                continue
            stop(engine, row["id"])
            remove(engine, row["id"], force=True)
            say(f" Container {name}  Recreated")
        run(engine, opts)
        say(f" Container {name}  Started")


def ps(engine, model: dict, all_: bool = False) -> list[dict]:  # noqa: ANN001
    """The project's containers as `teu ps` items plus Service, sorted by name."""
    import time

    from teu.engine.views.listing import item

    now = time.time()
    out = []
    for row in _project_containers(engine, model["name"]):
        if not all_ and row["status"] != "running":
            continue
        it = item(row, now)
        it["Service"] = it["LabelMap"].get(plan.SERVICE, "")
        out.append(it)
    return sorted(out, key=lambda i: i["Names"])


def down(engine, model: dict, say: Callable[[str], None], volumes: bool = False,  # noqa: ANN001
         timeout: float | None = None) -> None:
    """Stop and remove the project's containers (dependants first), then its networks."""
    from teu.engine.lifecycle.control import stop
    from teu.engine.lifecycle.remove import remove
    from teu.engine.network import remove_network
    from teu.network.store import Store

    project = model["name"]
    order = service_order(model["services"])
    rank = {s: i for i, s in enumerate(order)}
    rows = _project_containers(engine, project)
    rows.sort(key=lambda r: -rank.get((r.settings["Config"].get("Labels") or {})
                                      .get(plan.SERVICE, ""), -1))
    for row in rows:
        stop(engine, row["id"], timeout)
        say(f" Container {row['name']}  Stopped")
        remove(engine, row["id"], force=True, volumes=volumes)
        say(f" Container {row['name']}  Removed")
    for net in Store(engine.paths.root).all():
        if (net.labels or {}).get(plan.PROJECT) == project:
            remove_network(engine, net.name, force=True)
            say(f" Network {net.name}  Removed")
    if volumes:
        from teu.engine.storage import volumes as vols

        for spec in (model.get("volumes") or {}).values():
            if not spec.get("external") and engine.db.volume(spec["name"]) is not None:
                vols.remove(engine.paths, engine.db, spec["name"])
                say(f" Volume {spec['name']}  Removed")
