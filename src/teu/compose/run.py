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


def up(engine, model: dict, say: Callable[[str], None],  # noqa: ANN001
       scale: dict[str, int] | None = None) -> None:
    """Create what is missing, recreate what changed, start what is stopped, scale each
    service to its count (by container number)."""
    from teu.engine.lifecycle.control import stop
    from teu.engine.lifecycle.remove import remove
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
    ids: dict[str, str] = {}
    for service in service_order(model["services"]):
        svc = model["services"][service]
        for dep, spec in (svc.get("depends_on") or {}).items():
            if dep in ids:
                wait_condition(engine, dep, ids[dep], spec.get("condition", ""), say)
        count = replicas(svc, (scale or {}).get(service))
        for number in range(1, count + 1):
            ids[service] = _one(engine, plan.run_options(model, service, number), existing,
                                say)
        # Scaled down: the containers numbered above the count go, highest first.
        extra = sorted((r for r in existing.values() if _labels(r).get(plan.SERVICE) == service
                        and int(_labels(r).get(plan.NUMBER, "0")) > count),
                       key=lambda r: -int(_labels(r)[plan.NUMBER]))
        for row in extra:
            stop(engine, row["id"])
            remove(engine, row["id"], force=True)
            say(f" Container {row['name']}  Removed")


def _labels(row) -> dict:  # noqa: ANN001
    return row.settings["Config"].get("Labels") or {}


def replicas(svc: dict, override: int | None = None) -> int:
    """How many containers a service runs: --scale, else scale:, else deploy.replicas, 1."""
    if override is not None:
        return override
    if svc.get("scale") is not None:
        return int(svc["scale"])
    return int((svc.get("deploy") or {}).get("replicas", 1))


def _one(engine, opts: dict, existing: dict, say: Callable[[str], None]) -> str:  # noqa: ANN001
    """Container `opts["name"]` up to date and running; its ID."""
    from teu.engine.lifecycle.control import stop
    from teu.engine.lifecycle.launch import start
    from teu.engine.lifecycle.remove import remove
    from teu.engine.lifecycle.run import run

    name = opts["name"]
    row = existing.get(name)
    if row is not None:
        want = dict(x.split("=", 1) for x in opts["label"])[plan.HASH]
        if _labels(row).get(plan.HASH) == want:
            if row["status"] != "running":
                start(engine, row["id"])
                say(f" Container {name}  Started")
            else:
                say(f" Container {name}  Running")
            return row["id"]
        stop(engine, row["id"])
        remove(engine, row["id"], force=True)
        say(f" Container {name}  Recreated")
    cid = run(engine, opts)[0]
    say(f" Container {name}  Started")
    return cid


def wait_condition(engine, service: str, cid: str, condition: str,  # noqa: ANN001
                   say: Callable[[str], None]) -> None:
    """Block until a dependency meets its depends_on condition; ComposeError (docker
    compose's words) when it cannot: unhealthy, no health check, exited, failed."""
    import json
    import time

    from teu.engine import state
    from teu.engine.lifecycle.waiting import exited, wait_exit

    if condition == "service_completed_successfully":
        row = wait_exit(engine, engine.find(cid))
        code = row["exit_code"] if row is not None else None
        if code != 0:
            raise ComposeError(f'service "{service}" didn\'t complete successfully: '
                               f"exit {code}")
        say(f" Container {row['name']}  Exited")
        return
    if condition != "service_healthy":
        return
    while True:
        row = state.refresh(engine, engine.find(cid))
        if row is None:
            raise ComposeError(f'dependency failed to start: service "{service}" is gone')
        config = row.settings["Config"].get("Healthcheck") or {}
        if not config.get("Test") or config["Test"][0] == "NONE":
            raise ComposeError(f"dependency failed to start: container {row['name']} has no "
                               "healthcheck configured")
        health = json.loads(row["health"]) if row["health"] else {}
        status = health.get("Status", "starting")
        if status == "healthy":
            say(f" Container {row['name']}  Healthy")
            return
        if status == "unhealthy":
            log = (health.get("Log") or [{}])[-1].get("Output", "").strip()
            raise ComposeError(f"dependency failed to start: container {row['name']} is "
                               "unhealthy" + (f": {log}" if log else ""))
        if exited(row):
            raise ComposeError(f"dependency failed to start: container {row['name']} exited "
                               f"({row['exit_code']})")
        time.sleep(0.2)


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
